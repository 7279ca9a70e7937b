"""The names of codes as people read them, in Chinese and English."""

from __future__ import annotations

from nomination.i18n import pick

#: How each role is named.
ROLE_LABELS: dict[str, dict[str, str]] = {
    "unit_submitter": {"zh": "基层工会", "en": "Unit submitter"},
    "committee_reviewer": {"zh": "工委审核", "en": "Working-committee reviewer"},
    "federation_reviewer": {"zh": "区总工会劳模办", "en": "Federation reviewer"},
    "department": {"zh": "征求意见部门", "en": "Consulted department"},
    "judge": {"zh": "评审委员", "en": "Selection committee member"},
    "approver": {"zh": "审批人", "en": "Approver"},
    "auditor": {"zh": "审计/纪检", "en": "Auditor"},
    "admin": {"zh": "系统管理员", "en": "Administrator"},
    "public": {"zh": "社会公众", "en": "The public"},
    "system": {"zh": "系统", "en": "System"},
}


#: How each kind of organisation is named.
ORG_KIND_LABELS: dict[str, dict[str, str]] = {
    "federation": {"zh": "总工会", "en": "Federation"},
    "committee": {"zh": "工委", "en": "Working committee"},
    "unit": {"zh": "基层单位", "en": "Unit"},
    "department": {"zh": "征求意见部门", "en": "Consulted department"},
}


def role_label(role: str | None) -> str:
    """Return the name of ``role`` in the current language."""
    return pick(ROLE_LABELS.get(role or "", role or ""))
