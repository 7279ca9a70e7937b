"""Users: accounts, their roles with scope, passwords handed over by an administrator, tokens.

Separation of duties is checked here, whatever the caller: an administrator holds no role that
acts on nominations or votes, an auditor is never an administrator, and the last active
administrator cannot be removed.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from nomination.accounts import change_password, revoke_api_tokens
from nomination.administration.authority import (
    check_fresh,
    digest,
    record,
    require_admin,
)
from nomination.administration.checks import USERNAME, Problems, check_name, clean_email
from nomination.audit.chain import Entity
from nomination.db import utcnow
from nomination.errors import Conflict, InvalidData, require_valid
from nomination.i18n import pick
from nomination.labels import ROLE_LABELS
from nomination.models import ApiToken, Organisation, RoleAssignment, User
from nomination.models.users import ROLES

#: The kind of organisation each role is held at: its scope is that organisation's subtree.
ROLE_SCOPES: dict[str, tuple[str, ...]] = {
    "unit_submitter": ("unit",),
    "committee_reviewer": ("committee",),
    "federation_reviewer": ("federation",),
    "department": ("department",),
    "judge": ("federation",),
    "approver": ("federation",),
    "auditor": ("federation",),
    "admin": ("federation",),
}
#: Roles that act on nominations or vote: never held together with administration.
ACTING_ROLES = frozenset(ROLES) - {"admin", "auditor"}
#: As the password form asks (``nomination.web.forms.PasswordForm``).
MIN_PASSWORD = 10
#: Letters and digits a printed password is made of: none that reads as another (0/O, 1/l/I).
_PRINTABLE = "abcdefghjkmnpqrstuvwxyz23456789"
#: How long a password link stays valid.
RESET_LINK_SECONDS = 3 * 24 * 3600

CHANGED_MEANWHILE = {
    "zh": "该用户已被他人修改,请重新打开后再试",
    "en": "Someone else changed this user meanwhile; reload it and try again",
}
LAST_ADMIN = {
    "zh": "这是最后一位启用的系统管理员,不能停用或取消其管理员角色",
    "en": "This is the last active administrator: the account cannot be deactivated "
    "nor lose the administrator role",
}


def fingerprint(user: User) -> str:
    """Return a short digest of what the edit form shows, to detect a change made meanwhile."""
    roles = sorted((r.role, r.organisation_id) for r in user.roles)
    parts = (user.username, user.display_name, user.email, user.workplace_id, user.active, roles)
    return digest(*parts)


def _check_fresh(user: User, expected: str | None) -> None:
    check_fresh(user, expected, fingerprint, CHANGED_MEANWHILE)


def role_problems(roles: list[tuple[str, Organisation]], problems: Problems) -> None:
    """Record what is wrong with a set of roles: unknown, wrong scope, duties that clash."""
    names = {role for role, _ in roles}
    for role, org in roles:
        if role not in ROLE_SCOPES:
            problems.say("roles", f"未知角色 {role}", f"Unknown role {role}")
        elif org.kind not in ROLE_SCOPES[role]:
            problems.say(
                "roles",
                f"「{ROLE_LABELS[role]['zh']}」须设在{_kind_zh(ROLE_SCOPES[role])}上,"
                f"而不是 {org.name}",
                f"'{ROLE_LABELS[role]['en']}' is held at a {' or '.join(ROLE_SCOPES[role])},"
                f" not at {org.name_en or org.name}",
            )
        elif not org.active:
            problems.say("roles", f"{org.name} 已停用", f"{org.name} is deactivated")
    if "admin" in names and names & ACTING_ROLES:
        problems.say(
            "roles",
            "系统管理员不能同时担任办理推荐或参加评审的角色(职责分离)",
            "An administrator cannot also act on nominations or vote (separation of duties)",
        )
    if "admin" in names and "auditor" in names:
        problems.say(
            "roles",
            "审计人员不能同时是系统管理员(职责分离)",
            "An auditor cannot be an administrator (separation of duties)",
        )
    if len(set(roles)) != len(roles):
        problems.say("roles", "角色重复", "A role is given twice")
    if not roles:
        problems.say(
            "roles",
            "请至少设置一个角色;不再使用的账号请停用",
            "Give at least one role; deactivate an account no longer used",
        )


def _kind_zh(kinds: tuple[str, ...]) -> str:
    names = {"unit": "基层单位", "committee": "工委", "federation": "总工会", "department": "部门"}
    return "或".join(names[k] for k in kinds)


def _person(display_name: str, email: str | None) -> dict[str, Any]:
    # A person's name and address are personal data: the audit keeps commitments.
    return {"display_name": display_name, "email": email}


def _role_list(roles: list[tuple[str, Organisation]]) -> list[list[str]]:
    return sorted([role, org.code] for role, org in roles)


def temporary_password() -> str:
    """Return a password to print and hand over: 12 unambiguous characters in three groups."""
    raw = "".join(secrets.choice(_PRINTABLE) for _ in range(12))
    return "-".join(raw[i : i + 4] for i in range(0, 12, 4))


def create_user(
    session: Session,
    *,
    actor: Any,
    username: str,
    display_name: str,
    roles: list[tuple[str, Organisation]],
    password: str | None = None,
    password_hash: str | None = None,
    email: str | None = None,
    workplace: Organisation | None = None,
    must_change: bool = False,
) -> User:
    """Add a user holding ``roles`` [(role, organisation)]; give a password or its hash.

    ``must_change`` marks the password temporary: the first login must replace it.
    ``workplace`` is where the person works, when it matters (a judge's recusal).
    """
    require_admin(actor)
    problems = Problems()
    username = (username or "").strip()
    if not USERNAME.fullmatch(username):
        problems.say(
            "username", "用户名为 2–64 个字母、数字或 - _ .", "2–64 letters, digits or - _ ."
        )
    elif session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        problems.say("username", f"用户名 {username} 已被使用", f"The name {username} is taken")
    display_name = check_name(display_name, problems, "display_name", 100)
    email = clean_email(email, problems)
    role_problems(roles, problems)
    if password_hash is None and password is None:
        problems.say("password", "请设置密码", "A password is required")
    elif password is not None and len(password) < MIN_PASSWORD:
        problems.say(
            "password", f"密码至少 {MIN_PASSWORD} 个字符", f"At least {MIN_PASSWORD} characters"
        )
    require_valid(problems, "the user has errors")
    user = User(username=username, display_name=display_name, email=email, workplace=workplace)
    if password_hash is not None:
        user.password_hash = password_hash
    else:
        assert password is not None
        user.set_password(password)
    user.must_change_password = must_change
    for role, org in roles:
        user.roles.append(RoleAssignment(role=role, organisation=org))
    session.add(user)
    session.flush()
    record(
        session,
        actor,
        "user.create",
        Entity("user", user.id),
        after={
            "username": username,
            "roles": _role_list(roles),
            "workplace": workplace.code if workplace else None,
            "must_change_password": must_change,
            "person": _person(display_name, email),
        },
    )
    return user


def _other_admins(session: Session, user: User, org: Organisation) -> list[int]:
    """Return the other active administrators of ``org`` (holding the role there or above)."""
    above = [f"/{part}/" for part in org.path.strip("/").split("/")]
    paths = ["/" + "/".join(p.strip("/") for p in above[: i + 1]) + "/" for i in range(len(above))]
    holders = (
        select(RoleAssignment.user_id)
        .join(Organisation, RoleAssignment.organisation_id == Organisation.id)
        .where(RoleAssignment.role == "admin", Organisation.path.in_(paths))
    )
    # Every one of them locked, the user too, in one order: two administrators removing each
    # other are counted one after the other, and neither waits for a lock the other holds.
    query = (
        select(User.id).where(User.id.in_(holders), User.active).order_by(User.id).with_for_update()
    )
    return [uid for uid in session.scalars(query) if uid != user.id]


def _keeps_an_admin(session: Session, user: User) -> None:
    """Refuse to leave any organisation ``user`` administers without an active administrator."""
    for held in user.roles:
        if held.role == "admin" and not _other_admins(session, user, held.organisation):
            raise Conflict(pick(LAST_ADMIN))


def update_user(
    user: User,
    *,
    actor: Any,
    display_name: str,
    email: str | None,
    roles: list[tuple[str, Organisation]],
    workplace: Organisation | None = None,
    expected: str | None = None,
) -> list[str]:
    """Change a user's name, address, workplace and roles; return what changed."""
    require_admin(actor)
    session = object_session(user)
    assert session is not None
    _check_fresh(user, expected)
    problems = Problems()
    display_name = check_name(display_name, problems, "display_name", 100)
    email = clean_email(email, problems)
    role_problems(roles, problems)
    require_valid(problems, "the user has errors")
    old_roles = [(r.role, r.organisation) for r in user.roles]
    changed = []
    if display_name != user.display_name:
        changed.append("display_name")
    if email != user.email:
        changed.append("email")
    if (workplace.id if workplace else None) != user.workplace_id:
        changed.append("workplace")
    if _role_list(old_roles) != _role_list(roles):
        changed.append("roles")
        if any(r == "admin" for r, _ in old_roles) and not any(r == "admin" for r, _ in roles):
            _keeps_an_admin(session, user)
    if not changed:
        return []
    before = {
        "roles": _role_list(old_roles),
        "workplace": user.workplace.code if user.workplace else None,
        "person": {k: getattr(user, k) for k in ("display_name", "email") if k in changed},
    }
    user.display_name, user.email, user.workplace = display_name, email, workplace
    if "roles" in changed:
        keep = {(role, org.id) for role, org in roles}
        user.roles = [r for r in user.roles if (r.role, r.organisation_id) in keep]
        held = {(r.role, r.organisation_id) for r in user.roles}
        for role, org in roles:
            if (role, org.id) not in held:
                user.roles.append(RoleAssignment(role=role, organisation=org))
    session.flush()
    record(
        session,
        actor,
        "user.update",
        Entity("user", user.id),
        before=before,
        after={
            "roles": _role_list(roles),
            "workplace": workplace.code if workplace else None,
            "person": {k: v for k, v in _person(display_name, email).items() if k in changed},
        },
    )
    return changed


def set_user_active(
    user: User, *, actor: Any, active: bool, reason: str, expected: str | None = None
) -> None:
    """Deactivate (or reactivate) an account; a deactivated one cannot log in nor use tokens."""
    require_admin(actor)
    session = object_session(user)
    assert session is not None
    _check_fresh(user, expected)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidData("a reason is required", fields={"reason": [pick(_REASON)]})
    if user.active == active:
        raise Conflict(
            pick({"zh": "该账号已启用", "en": "The account is active already"})
            if active
            else pick({"zh": "该账号已停用", "en": "The account is deactivated already"})
        )
    if not active and any(r.role == "admin" for r in user.roles):
        _keeps_an_admin(session, user)
    user.active = active
    # A deactivated account's sessions end at once, whatever cookie it still holds.
    user.rotate_session()
    session.flush()
    record(
        session,
        actor,
        "user.activate" if active else "user.deactivate",
        Entity("user", user.id),
        before={"active": not active},
        after={"active": active},
        comment=reason,
    )
    if not active:
        revoke_api_tokens(session, user, actor=actor)


_REASON = {"zh": "请说明原因", "en": "Give the reason"}


def _refuse_inactive(user: User) -> None:
    if not user.active:
        raise Conflict(
            pick(
                {
                    "zh": "账号已停用:请先重新启用",
                    "en": "The account is deactivated: reactivate it first",
                }
            )
        )


def issue_temporary_password(user: User, *, actor: Any) -> str:
    """Give ``user`` a printed temporary password, to be changed at the next login; return it."""
    require_admin(actor)
    _refuse_inactive(user)
    session = object_session(user)
    assert session is not None
    password = temporary_password()
    change_password(user, actor=actor, password=password)
    user.must_change_password = True
    session.flush()
    record(
        session,
        actor,
        "user.temporary_password",
        Entity("user", user.id),
        after={"must_change_password": True},
    )
    return password


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="nomination password link")


def password_link_token(user: User, *, actor: Any) -> str:
    """Return a one-time token for a page where ``user`` sets a password (valid three days).

    It holds a digest of the current password hash: once any new password is set, every
    earlier link stops working.
    """
    require_admin(actor)
    _refuse_inactive(user)
    session = object_session(user)
    assert session is not None
    # As with a printed password, the old one and every token stop working now: the account
    # gets a password nobody knows until the link sets one.
    change_password(user, actor=actor, password=secrets.token_urlsafe(32))
    record(session, actor, "user.password_link", Entity("user", user.id))
    return _serializer().dumps([user.id, _hash_digest(user)])


def _hash_digest(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


LINK_INVALID = {
    "zh": "此链接无效、已过期或已使用过,请向系统管理员索取新的链接",
    "en": "This link is invalid, expired or used already; ask an administrator for a new one",
}


def user_for_link(session: Session, token: str) -> User:
    """Return the user a password link is for; Conflict when invalid, expired or used."""
    try:
        user_id, seen = _serializer().loads(token, max_age=RESET_LINK_SECONDS)
    except (BadSignature, SignatureExpired, ValueError, TypeError):
        raise Conflict(pick(LINK_INVALID)) from None
    user = session.get(User, user_id)
    if user is None or not user.active or seen != _hash_digest(user):
        raise Conflict(pick(LINK_INVALID))
    return user


def set_password_from_link(session: Session, token: str, password: str) -> User:
    """Set the password a link was given for; the link works once."""
    user = user_for_link(session, token)
    if len(password) < MIN_PASSWORD:
        raise InvalidData(
            "the password is too short",
            fields={
                "new": [
                    pick(
                        {
                            "zh": f"密码至少 {MIN_PASSWORD} 个字符",
                            "en": f"At least {MIN_PASSWORD} characters",
                        }
                    )
                ]
            },
        )
    change_password(user, actor=user, password=password)
    user.must_change_password = False
    session.flush()
    return user


def user_tokens(session: Session, user: User) -> list[ApiToken]:
    """Return every API token ``user`` holds or held, newest first."""
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
        )
    )


def revoke_token(token: ApiToken, *, actor: Any) -> bool:
    """Revoke one API token; return False when it was revoked already."""
    require_admin(actor)
    session = object_session(token)
    assert session is not None
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    record(
        session,
        actor,
        "token.revoke",
        Entity("api_token", token.id),
        after={"user": token.user.username, "name": token.name},
    )
    return True
