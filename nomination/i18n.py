"""Bilingual text from definitions: {"zh": ..., "en": ...} picked by the current locale."""

from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask_babel import LazyString, get_locale


def current_language() -> str:
    """Return "zh" or "en" for the current request (Chinese outside a request)."""
    if not has_request_context():
        return "zh"
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


def pick(text: dict[str, str] | str | None, language: str | None = None) -> str:
    """Return the text of a bilingual mapping in ``language`` (default: current)."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    lang = language or current_language()
    return text.get(lang) or text.get("zh") or text.get("en") or ""


def tr(zh: str, en: str) -> str:
    """Return the text in the current language: the one helper for the code's own short texts."""
    return pick({"zh": zh, "en": en})


def lazy_tr(zh: str, en: str) -> Any:
    """Return ``tr`` resolved each time it is rendered (for messages made at import time)."""
    return lazy({"zh": zh, "en": en})


def lazy(text: dict[str, str] | str | None) -> Any:
    """Return a string that resolves to the current locale's text each time it is rendered."""
    return LazyString(lambda: pick(text))
