"""The one canonical JSON this project hashes (audit events, pinned definitions) and its SHA-256."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Any


def plain(value: Any) -> Any:
    """Turn dates into ISO strings and refuse floats, whose text form is not canonical."""
    if isinstance(value, float):
        raise TypeError("floats are not allowed in audited records")
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


#: The one serialiser (an encoder built once: ``json.dumps`` with options builds one per call).
dumps = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode


def canonical_json(record: dict[str, Any]) -> str:
    """Serialise ``record`` the one way this project hashes: sorted keys, no spaces, UTF-8."""
    return dumps(plain(record))


def sha256_hex(text: str) -> str:
    """Return the SHA-256 of ``text`` encoded as UTF-8, in hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
