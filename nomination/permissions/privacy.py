"""One masking policy: which values are sensitive, who sees them in clear, how others see them.

Pages, the API, exports and printed forms all ask this module; none decides on its own.

- **Which fields.** A form definition declares a field ``sensitive = "id_number"`` or
  ``"phone"`` (fields of those types are by default). Outside the forms, an organisation's
  contact phone (``contact.phone`` in its audit events) is a phone too.
- **Who sees them in clear**, for a nomination: its nominating unit (its own person), the
  working committee and the federation's reviewers who check eligibility and call the unit,
  and the administrators who answer for the data's protection. Approvers, selection judges
  and auditors see them masked: they judge merits and procedure, not the person's number.
  The public never sees them (public notices show only ``public`` fields). A consulted
  department sees, in clear, the fields its request shows (``consult``): it checks its
  registers by ID number. For an archive record, :func:`can_see_id_number`.
- **Files follow the pages, or are stricter.** A printed form and the API mask what the
  reader's page masks; nothing else (a public summary is never masked). Files that leave the
  system in bulk ask more: the audit exports are in clear only when an administrator ticks
  "personal data" (``can_export_personal_data``), the archive's only for its managers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nomination.definitions.forms import FormDef
from nomination.labels import phone_as_written
from nomination.models import Nomination
from nomination.permissions.roles import has_role, has_role_over

#: Roles that see a nomination's sensitive values in clear (over the nomination's unit).
CLEAR_READERS = ("unit_submitter", "committee_reviewer", "federation_reviewer", "admin")

#: Sensitive values outside the forms, by the key of the record that holds them.
RECORD_FIELDS: dict[str, dict[str, str]] = {"contact": {"phone": "phone"}}


def mask_id_number(value: str | None) -> str:
    """Return an ID number with all but its first 3 and last 4 characters hidden."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_phone(value: str | None) -> str:
    """Return a phone number as people write it, its middle 4 digits hidden (139****0000)."""
    if not value:
        return ""
    value = phone_as_written(value)
    if len(value) < 8:
        return "*" * len(value)
    return value[:-8] + "****" + value[-4:]


_MASKS = {"id_number": mask_id_number, "phone": mask_phone}


def mask(kind: str, value: Any) -> Any:
    """Return ``value`` masked as a sensitive value of ``kind``; empty values stay as they are."""
    if value in (None, ""):
        return value
    if not isinstance(value, str):
        return "***"
    return _MASKS[kind](value)


def can_see_personal_data(user: Any, nomination: Nomination | None = None) -> bool:
    """Return whether ``user`` sees ``nomination``'s sensitive values in clear.

    Without a nomination (an organisation's or an account's record): administrators only.
    """
    if nomination is None:
        return has_role(user, "admin")
    return any(has_role_over(user, role, nomination.unit) for role in CLEAR_READERS)


def sensitive_fields(form: FormDef | None, names: Any = ()) -> dict[str, str]:
    """Return {field name: kind} of the sensitive fields of ``form``.

    Without a form (data whose form is unknown), a key named after a kind, or ending in
    ``_phone``, is taken as sensitive: better masked once too often than shown.
    """
    if form is not None:
        return {f.name: f.sensitive for f in form.fields if f.sensitive}
    kinds = {}
    for name in names:
        if name in _MASKS:
            kinds[name] = name
        elif isinstance(name, str) and name.endswith("_phone"):
            kinds[name] = "phone"
    return kinds


def masked_data(form: FormDef | None, data: Mapping[str, Any], clear: bool) -> dict[str, Any]:
    """Return ``data`` (a form's values) as its reader sees it: sensitive values masked."""
    if clear:
        return dict(data)
    kinds = sensitive_fields(form, data)
    return {k: mask(kinds[k], v) if k in kinds else v for k, v in data.items()}


def masked_record(key: str, value: Any, clear: bool) -> Any:
    """Return ``value``, held under ``key`` in a record (not a form), as its reader sees it."""
    kinds = RECORD_FIELDS.get(key)
    if clear or not kinds or not isinstance(value, Mapping):
        return value
    return {k: mask(kinds[k], v) if k in kinds else v for k, v in value.items()}
