"""The optional second factor: TOTP codes from an authenticator app, and recovery codes.

An administrator chooses the roles whose holders must use it; anyone may enrol. The secret
is shown once as a QR code; a first correct code confirms the enrolment and yields ten
recovery codes, of which only hashes are kept.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

import pyotp
import segno
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from nomination.administration.authority import require_admin
from nomination.audit.chain import Entity, record_event
from nomination.db import utcnow
from nomination.errors import InvalidData
from nomination.i18n import pick
from nomination.models import InstanceSettings, RecoveryCode, User

#: Roles an administrator may require a second factor of.
STRONG_ROLES = ("admin", "federation_reviewer", "approver", "auditor", "committee_reviewer")
RECOVERY_CODES = 10
ISSUER = "nomination"

WRONG_CODE = {"zh": "验证码不正确或已过期", "en": "The code is wrong or expired"}


def totp_roles(session: Session) -> list[str]:
    """Return the roles whose holders must log in with a second factor."""
    settings = session.get(InstanceSettings, 1)
    return list(settings.totp_roles or []) if settings is not None else []


def set_totp_roles(session: Session, *, actor: Any, roles: list[str]) -> None:
    """Require a second factor of the holders of ``roles`` (audited)."""
    require_admin(actor)
    unknown = sorted(set(roles) - set(STRONG_ROLES))
    if unknown:
        raise InvalidData("unknown roles", fields={"roles": [f"unknown: {', '.join(unknown)}"]})
    settings = session.get(InstanceSettings, 1)
    if settings is None:
        raise InvalidData(
            "the instance is not set up",
            fields={"roles": [pick({"zh": "系统尚未完成初始设置", "en": "Not set up yet"})]},
        )
    before = sorted(settings.totp_roles or [])
    settings.totp_roles = sorted(set(roles))
    session.flush()
    record_event(
        session,
        actor,
        "security.totp_roles",
        Entity("instance", 1),
        role="admin",
        before={"roles": before},
        after={"roles": settings.totp_roles},
    )


def requires_second_factor(session: Session, user: User) -> bool:
    """Return whether ``user`` must give a code at login: enrolled, or holding a required role."""
    if user.totp_confirmed_at is not None:
        return True
    required = set(totp_roles(session))
    return any(r.role in required for r in user.roles)


def start_enrolment(user: User) -> str:
    """Give ``user`` a new, unconfirmed secret; return its otpauth:// address."""
    session = object_session(user)
    assert session is not None
    if user.totp_secret is None:
        user.totp_secret = pyotp.random_base32()
        session.flush()
    return provisioning_uri(user)


def provisioning_uri(user: User) -> str:
    """Return the otpauth:// address an authenticator app reads from the QR code."""
    assert user.totp_secret is not None
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """Return the QR code of ``uri`` as inline SVG (no external service sees the secret)."""
    return segno.make(uri, error="m").svg_inline(scale=5, title="otpauth")


#: How many 30-second steps before and after now a code may come from (clock drift).
DRIFT_STEPS = 1


def _matching_step(user: User, code: str, now: datetime) -> int | None:
    """Return the time step ``code`` belongs to, if it is a good code not used before."""
    if not user.totp_secret or not code.isdigit():
        return None
    totp = pyotp.TOTP(user.totp_secret)
    step = totp.timecode(int(now.timestamp()))
    for offset in range(-DRIFT_STEPS, DRIFT_STEPS + 1):
        candidate = step + offset
        if pyotp.utils.strings_equal(code, totp.generate_otp(candidate)):
            if user.totp_last_step is not None and candidate <= user.totp_last_step:
                return None  # used already: a code works once
            return candidate
    return None


def _hash(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").strip().lower().encode()).hexdigest()


def confirm_enrolment(user: User, code: str, *, now: datetime | None = None) -> list[str]:
    """Confirm the enrolment with a first code; return the recovery codes (shown once)."""
    session = object_session(user)
    assert session is not None
    now = now or utcnow()
    step = _matching_step(user, code.strip(), now)
    if step is None:
        raise InvalidData("wrong code", fields={"code": [pick(WRONG_CODE)]})
    user.totp_last_step = step
    user.totp_confirmed_at = now
    codes = _new_recovery_codes(session, user)
    record_event(session, user, "auth.totp_enrol", Entity("user", user.id))
    return codes


def _new_recovery_codes(session: Session, user: User) -> list[str]:
    for old in session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        session.delete(old)
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(c)) for c in codes)
    session.flush()
    return codes


def check_second_factor(user: User, code: str, *, now: datetime | None = None) -> str:
    """Return "totp" or "recovery" for a good code (either is used up); else raise."""
    session = object_session(user)
    assert session is not None
    code = (code or "").strip()
    now = now or utcnow()
    # Locked: two logins sending one code at once are checked one after the other.
    session.refresh(user, with_for_update=True)
    if user.totp_confirmed_at is not None:
        step = _matching_step(user, code, now)
        if step is not None:
            user.totp_last_step = step
            session.flush()
            return "totp"
    row = session.scalar(
        select(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .with_for_update()
    )
    if row is None:
        raise InvalidData("wrong code", fields={"code": [pick(WRONG_CODE)]})
    row.used_at = now
    session.flush()
    return "recovery"


def remove_second_factor(user: User, *, actor: Any) -> None:
    """Remove a user's enrolment (a lost device); the user enrols again at the next login."""
    require_admin(actor)
    session = object_session(user)
    assert session is not None
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    for old in session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        session.delete(old)
    user.rotate_session()
    session.flush()
    record_event(session, actor, "auth.totp_remove", Entity("user", user.id), role="admin")
