"""The organisation tree: create, change, move and deactivate its organisations.

Federations, working committees, units and departments are never deleted: nominations,
quotas and the audit trail refer to them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, literal, select, update
from sqlalchemy.orm import Session, object_session

from nomination.administration.authority import (
    check_fresh,
    digest,
    record,
    require_admin,
)
from nomination.administration.checks import (
    Problems,
    check_code,
    check_name,
    clean_phone,
    clean_uscc,
)
from nomination.audit.chain import Entity, organisation_entity, record_event
from nomination.errors import Conflict, require_valid
from nomination.i18n import pick
from nomination.models import Campaign, Nomination, Organisation, Team
from nomination.models.orgs import ORG_KINDS

#: Which kind of organisation each kind hangs below (a federation is a root).
PARENT_KINDS: dict[str, tuple[str, ...]] = {
    "federation": (),
    "committee": ("federation",),
    "unit": ("committee", "federation"),
    "department": ("federation",),
}

CHANGED_MEANWHILE = {
    "zh": "该组织已被他人修改,请重新打开后再试",
    "en": "Someone else changed this organisation meanwhile; reload it and try again",
}


def fingerprint(org: Organisation) -> str:
    """Return a short digest of what an edit form shows, to detect a change made meanwhile."""
    parts = (
        org.code,
        org.name,
        org.name_en,
        org.uscc,
        org.contact_person,
        org.contact_phone,
        org.parent_id,
        org.active,
    )
    return digest(*parts)


def _check_fresh(org: Organisation, expected: str | None) -> None:
    check_fresh(org, expected, fingerprint, CHANGED_MEANWHILE)


def _contact(person: str | None, phone: str | None) -> dict[str, Any]:
    # Names and phone numbers of contacts are personal data: the audit keeps commitments.
    return {"person": person, "phone": phone}


def _details(
    session: Session,
    problems: Problems,
    *,
    org: Organisation | None,
    kind: str,
    name: str,
    name_en: str | None,
    uscc: str | None,
    contact_person: str | None,
    contact_phone: str | None,
) -> dict[str, Any]:
    """Check the fields every organisation has; return them clean."""
    clean = {
        "name": check_name(name, problems),
        "name_en": _optional_text(name_en, problems, "name_en", 200),
        "uscc": clean_uscc(uscc, problems),
        "contact_person": _optional_text(contact_person, problems, "contact_person", 100),
        "contact_phone": clean_phone(contact_phone, problems),
    }
    if clean["uscc"] and kind not in ("unit", "federation", "committee"):
        problems.say("uscc", "部门无需填写统一社会信用代码", "Departments have no credit code")
    if clean["uscc"]:
        other = session.scalar(
            select(Organisation).where(
                Organisation.uscc == clean["uscc"],
                Organisation.id != (org.id if org else -1),
            )
        )
        if other is not None:
            problems.say(
                "uscc",
                f"该代码已属于「{other.name}」({other.code})",
                f"This code belongs to '{other.name}' ({other.code}) already",
            )
    return clean


def _optional_text(value: str | None, problems: Problems, name: str, most: int) -> str | None:
    """Return the stripped text or None, recording a problem if longer than its column."""
    text = (value or "").strip() or None
    if text and len(text) > most:
        problems.say(name, f"最多 {most} 个字符", f"At most {most} characters")
    return text


def _check_parent(kind: str, parent: Organisation | None, problems: Problems) -> None:
    allowed = PARENT_KINDS.get(kind, ())
    if not allowed:
        if parent is not None:
            problems.say("parent", "总工会位于组织树的顶层", "A federation is at the top")
        return
    if parent is None or parent.kind not in allowed:
        problems.say(
            "parent",
            "请选择上级:" + ("工委或总工会" if kind == "unit" else "总工会"),
            "Choose where it belongs: "
            + ("a working committee or the federation" if kind == "unit" else "the federation"),
        )
    elif not parent.active:
        problems.say("parent", "上级组织已停用", "The organisation above is deactivated")


def create_organisation(
    session: Session,
    *,
    actor: Any,
    code: str,
    name: str,
    kind: str,
    parent: Organisation | None = None,
    name_en: str | None = None,
    uscc: str | None = None,
    contact_person: str | None = None,
    contact_phone: str | None = None,
    comment: str | None = None,
) -> Organisation:
    """Add an organisation to the tree below ``parent``; every wrong field is named at once."""
    require_admin(actor)
    problems = Problems()
    code = check_code(code, problems)
    if kind not in ORG_KINDS:
        problems.say("kind", "未知的组织类型", "Unknown kind of organisation")
    else:
        _check_parent(kind, parent, problems)
    clean = _details(
        session,
        problems,
        org=None,
        kind=kind,
        name=name,
        name_en=name_en,
        uscc=uscc,
        contact_person=contact_person,
        contact_phone=contact_phone,
    )
    if "code" not in problems and session.scalar(
        select(Organisation.id).where(func.lower(Organisation.code) == code.lower())
    ):
        problems.say("code", f"代码 {code} 已被使用", f"The code {code} is used already")
    require_valid(problems, "the organisation has errors")
    org = Organisation(code=code, kind=kind, parent=parent, **clean)
    session.add(org)
    session.flush()
    # The path holds the ids from the root: it can only be written once the id is known.
    org.path = (parent.path if parent else "/") + f"{org.id}/"
    record(
        session,
        actor,
        "organisation.create",
        organisation_entity(org),
        after={
            "code": code,
            "name": clean["name"],
            "name_en": clean["name_en"],
            "kind": kind,
            "parent": parent and parent.code,
            "uscc": clean["uscc"],
            "contact": _contact(clean["contact_person"], clean["contact_phone"]),
        },
        comment=comment,
    )
    return org


def update_organisation(
    org: Organisation,
    *,
    actor: Any,
    name: str,
    name_en: str | None = None,
    uscc: str | None = None,
    contact_person: str | None = None,
    contact_phone: str | None = None,
    expected: str | None = None,
) -> list[str]:
    """Rename an organisation or change its details; return the fields that changed.

    ``expected`` is the :func:`fingerprint` the editor saw: a change made meanwhile is a
    conflict, never overwritten.
    """
    require_admin(actor)
    session = object_session(org)
    assert session is not None
    _check_fresh(org, expected)
    problems = Problems()
    clean = _details(
        session,
        problems,
        org=org,
        kind=org.kind,
        name=name,
        name_en=name_en,
        uscc=uscc,
        contact_person=contact_person,
        contact_phone=contact_phone,
    )
    require_valid(problems, "the organisation has errors")
    changed = [k for k, v in clean.items() if getattr(org, k) != v]
    if not changed:
        return []
    before = {k: getattr(org, k) for k in changed}
    for key in changed:
        setattr(org, key, clean[key])
    session.flush()
    contact_keys = {"contact_person", "contact_phone"}
    record(
        session,
        actor,
        "organisation.update",
        organisation_entity(org),
        before={
            **{k: v for k, v in before.items() if k not in contact_keys},
            "contact": {k[8:]: before[k] for k in changed if k in contact_keys},
        },
        after={
            **{k: clean[k] for k in changed if k not in contact_keys},
            "contact": {k[8:]: clean[k] for k in changed if k in contact_keys},
        },
    )
    return changed


def open_nominations(session: Session, org: Organisation) -> list[int]:
    """Return the ids of the nominations of ``org``'s subtree in campaigns not yet closed."""
    return list(
        session.scalars(
            select(Nomination.id)
            .join(Organisation, Nomination.unit_id == Organisation.id)
            .join(Campaign, Nomination.campaign_id == Campaign.id)
            .where(Organisation.path.startswith(org.path), Campaign.status == "open")
            .order_by(Nomination.id)
        )
    )


def move_organisation(
    org: Organisation,
    *,
    actor: Any,
    parent: Organisation,
    reason: str,
    expected: str | None = None,
) -> list[int]:
    """Move a unit to another working committee; return its open nominations, which follow.

    The nominations stay the unit's: from now on the new committee reviews them and counts
    them against its quota. The audit event names each one.
    """
    require_admin(actor)
    session = object_session(org)
    assert session is not None
    _check_fresh(org, expected)
    problems = Problems()
    if org.kind != "unit":
        problems.say("parent", "只有基层单位可以调整所属工委", "Only units move between committees")
    else:
        _check_parent(org.kind, parent, problems)
    if parent.path.startswith(org.path):
        problems.say("parent", "不能移到自身之下", "An organisation cannot move below itself")
    reason = (reason or "").strip()
    if not reason:
        problems.say("reason", "请说明调整原因", "Give the reason")
    require_valid(problems, "the move has errors")
    if org.parent_id == parent.id:
        return []
    before_parent = org.parent
    old_path, new_path = org.path, parent.path + f"{org.id}/"
    following = open_nominations(session, org)
    # The subtree's paths change together, in one statement (a unit has none below it today).
    session.execute(
        update(Organisation)
        .where(Organisation.path.startswith(old_path))
        .values(path=literal(new_path) + func.substr(Organisation.path, len(old_path) + 1))
        .execution_options(synchronize_session=False)
    )
    org.parent = parent
    session.flush()
    session.expire_all()
    record(
        session,
        actor,
        "organisation.move",
        organisation_entity(org),
        before={"parent": before_parent.code if before_parent else None},
        after={"parent": parent.code, "nominations": following},
        comment=reason,
    )
    return following


def set_organisation_active(
    org: Organisation, *, actor: Any, active: bool, reason: str, expected: str | None = None
) -> None:
    """Deactivate (or reactivate) an organisation; history keeps referring to it."""
    require_admin(actor)
    session = object_session(org)
    assert session is not None
    _check_fresh(org, expected)
    problems = Problems()
    reason = (reason or "").strip()
    if not reason:
        problems.say("reason", "请说明原因", "Give the reason")
    require_valid(problems, "the change has errors")
    if org.active == active:
        raise Conflict(
            pick({"zh": "该组织已启用", "en": "The organisation is active already"})
            if active
            else pick({"zh": "该组织已停用", "en": "The organisation is deactivated already"})
        )
    if not active:
        if org.parent_id is None:
            raise Conflict(
                pick({"zh": "总工会不能停用", "en": "The federation cannot be deactivated"})
            )
        below = session.scalar(
            select(func.count(Organisation.id)).where(
                Organisation.parent_id == org.id, Organisation.active
            )
        )
        if below:
            raise Conflict(
                pick(
                    {
                        "zh": f"其下还有 {below} 个启用的组织,请先调整或停用它们",
                        "en": f"{below} active organisations are below it; move or "
                        "deactivate them first",
                    }
                )
            )
    elif org.parent is not None and not org.parent.active:
        raise Conflict(
            pick({"zh": "上级组织已停用", "en": "The organisation above is deactivated"})
        )
    org.active = active
    session.flush()
    record(
        session,
        actor,
        "organisation.activate" if active else "organisation.deactivate",
        organisation_entity(org),
        before={"active": not active},
        after={"active": active, "open_nominations": open_nominations(session, org)},
        comment=reason,
    )


def create_team(session: Session, *, actor: Any, unit: Organisation, code: str, name: str) -> Team:
    """Add a team (班组) to ``unit``."""
    require_admin(actor)
    team = Team(code=code, name=name, unit=unit)
    session.add(team)
    session.flush()
    record_event(
        session,
        actor,
        "team.create",
        Entity("team", team.id, unit.id),
        after={"code": code, "name": name, "unit": unit.code},
    )
    return team


def tree(
    session: Session, root: Organisation, *, kinds: tuple[str, ...] = ()
) -> list[Organisation]:
    """Return ``root``'s subtree in tree order (by path), optionally of some kinds only."""
    query = select(Organisation).where(Organisation.path.startswith(root.path))
    if kinds:
        query = query.where(Organisation.kind.in_(kinds))
    return list(session.scalars(query.order_by(Organisation.path)))
