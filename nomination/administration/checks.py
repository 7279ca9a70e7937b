"""Field checks shared by the administration's operations: each returns the clean value or says why.

They run the same validators as the nomination forms (python-stdnum, phonenumbers,
email-validator), so a credit code or a phone number is judged one way everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from wtforms import validators

from nomination.definitions.forms import CreditCode, Email, Phone
from nomination.i18n import pick

#: Organisation codes and user names: letters, digits and - _ . as in the demo's.
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{1,63}")


@dataclass
class _Field:
    data: Any


class Problems(dict[str, list[str]]):
    """Each wrong field with its messages, in the reader's language."""

    def say(self, name: str, zh: str, en: str) -> None:
        """Record that ``name`` is wrong."""
        self.setdefault(name, []).append(pick({"zh": zh, "en": en}))


def _run(check: Any, value: str, name: str, problems: Problems) -> str | None:
    field = _Field(value)
    try:
        check(None, field)
    except validators.ValidationError as exc:
        problems.setdefault(name, []).append(str(exc))
        return None
    return str(field.data)


def clean_uscc(value: str | None, problems: Problems, name: str = "uscc") -> str | None:
    """Return the normalised unified social credit code, or None when empty or wrong."""
    value = (value or "").strip()
    return _run(CreditCode(), value, name, problems) if value else None


def clean_phone(value: str | None, problems: Problems, name: str = "contact_phone") -> str | None:
    """Return the phone number in E.164, or None when empty or wrong."""
    value = (value or "").strip()
    return _run(Phone(), value, name, problems) if value else None


def clean_email(value: str | None, problems: Problems, name: str = "email") -> str | None:
    """Return the normalised e-mail address, or None when empty or wrong."""
    value = (value or "").strip()
    return _run(Email(), value, name, problems) if value else None


def check_code(value: str, problems: Problems, name: str = "code") -> str:
    """Return the stripped organisation code, recording a problem if it is malformed."""
    value = (value or "").strip()
    if not CODE.fullmatch(value):
        problems.say(
            name,
            "代码为 1–32 个字母、数字或 - _ .,例如 CY-0101",
            "1–32 letters, digits or - _ ., e.g. CY-0101",
        )
    return value


def check_name(value: str | None, problems: Problems, name: str = "name", most: int = 200) -> str:
    """Return the stripped required name, recording a problem if empty or too long."""
    value = (value or "").strip()
    if not value:
        problems.say(name, "此项必填", "This field is required")
    elif len(value) > most:
        problems.say(name, f"最多 {most} 个字符", f"At most {most} characters")
    return value
