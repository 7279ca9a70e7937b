"""Users, their role assignments scoped to organisation subtrees, and API tokens."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from nomination.db import Base, UTCDateTime, utcnow
from nomination.models.orgs import Organisation

#: Every role a user may be assigned; workflow definitions may name only these (and public, system).
ROLES = (
    "unit_submitter",
    "committee_reviewer",
    "federation_reviewer",
    "department",
    "judge",
    "approver",
    "auditor",
    "admin",
)


#: immediate: a mail per notification; daily: one mail a day listing what came in.
MAIL_DELIVERIES = ("immediate", "daily")


def new_session_token() -> str:
    """Return a fresh random token identifying one login generation of a user."""
    return secrets.token_urlsafe(32)


class User(UserMixin, Base):
    """A person who logs in."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    #: Rotated on logout and password change, so that a copied session cookie stops working.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Where the person works, when it matters: a judge working in a nominee's unit or
    #: working committee stands aside (回避) on that nomination.
    workplace_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Set with a temporary password an administrator printed: the next login must change it.
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    #: The TOTP second factor's secret (base32), once the user started enrolling.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    #: When the user proved the enrolment with a first code: from then on a login asks for one.
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The 30-second step of the last code accepted: a code is good once (RFC 6238 §5.2).
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    #: How notifications reach the user by mail: each at once, or one digest a day.
    mail_delivery: Mapped[str] = mapped_column(
        String(16), default="immediate", server_default="immediate"
    )
    #: When the last daily digest went out: the next goes on a later local day.
    digest_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    workplace: Mapped[Organisation | None] = relationship()
    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_active(self) -> bool:
        """Return whether the account may log in."""
        return self.active

    def get_id(self) -> str:
        """Return the session token, not the id: Flask-Login's alternative-token pattern."""
        return self.session_token

    def set_password(self, password: str) -> None:
        """Hash and store ``password`` and end every existing session."""
        self.password_hash = generate_password_hash(password, method="scrypt")
        self.rotate_session()

    def check_password(self, password: str) -> bool:
        """Return whether ``password`` matches."""
        return check_password_hash(self.password_hash, password)

    def rotate_session(self) -> None:
        """Invalidate every session cookie issued so far."""
        self.session_token = new_session_token()

    @property
    def name(self) -> str:
        """Return the name shown for this user."""
        return self.display_name

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class RoleAssignment(Base):
    """A role held by a user over an organisation and everything below it."""

    __tablename__ = "role_assignment"
    __table_args__ = (
        CheckConstraint(
            "role IN ('unit_submitter', 'committee_reviewer', 'federation_reviewer', 'department',"
            " 'judge', 'approver', 'auditor', 'admin')",
            name="valid_role",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))

    user: Mapped[User] = relationship(back_populates="roles")
    organisation: Mapped[Organisation] = relationship(lazy="joined")


class ApiToken(Base):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class RecoveryCode(Base):
    """A one-time code that stands in for a lost TOTP device; only its hash is kept."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
