"""The first start: a fresh instance names its federation and its first administrator, once.

The set-up writes the single ``instance_settings`` row, the federation at the root of the
organisation tree and the administrator, in one audited transaction. A second set-up is
refused, also when two arrive at the same moment: the row's key admits one.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nomination.actors import SYSTEM
from nomination.administration.checks import CODE, USERNAME, Problems
from nomination.administration.organisations import create_organisation
from nomination.administration.people import MIN_PASSWORD, create_user
from nomination.audit.chain import Entity, record_event
from nomination.db import utcnow
from nomination.errors import Conflict, require_valid
from nomination.i18n import pick
from nomination.models import InstanceSettings, User

ALREADY_SET_UP = {
    "zh": "本系统已完成初始设置,不能再次设置",
    "en": "This instance is already set up; the set-up cannot run again",
}


def is_set_up(session: Session) -> bool:
    """Return whether the instance was set up (or has users already, e.g. the demo's)."""
    if session.get(InstanceSettings, 1) is not None:
        return True
    return bool(session.scalar(select(func.count()).select_from(User)))


def setup_token(secret_key: str) -> str:
    """Return the token the set-up page asks for, derived from the instance's secret key.

    ``nomination serve`` prints the set-up address with it: only who can read the server's
    output (or its secret key) can claim a fresh instance exposed on a network.
    """
    return hmac.new(secret_key.encode(), b"nomination first start", hashlib.sha256).hexdigest()[:24]


def set_up_errors(
    *,
    federation_code: str,
    federation_name: str,
    username: str,
    display_name: str,
    password: str,
    timezone: str,
    closing_hour: int,
    **_: Any,
) -> dict[str, list[str]]:
    """Return each wrong field of a set-up with its messages (empty: nothing is wrong)."""
    problems = Problems()
    if not CODE.fullmatch(federation_code):
        problems.say(
            "federation_code",
            "代码为 1–32 个字母、数字或 - _ .,例如 CY-ZGH",
            "1–32 letters, digits or - _ ., e.g. CY-ZGH",
        )
    if not federation_name.strip():
        problems.say("federation_name", "请填写总工会名称", "The federation's name is required")
    if not USERNAME.fullmatch(username):
        problems.say(
            "username",
            "用户名为 2–64 个字母、数字或 - _ .",
            "2–64 letters, digits or - _ .",
        )
    if not display_name.strip():
        problems.say("display_name", "请填写姓名", "The name is required")
    if len(password) < MIN_PASSWORD:
        problems.say(
            "password",
            f"密码至少 {MIN_PASSWORD} 个字符",
            f"At least {MIN_PASSWORD} characters",
        )
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.say("timezone", f"未知的时区「{timezone}」", f"Unknown time zone '{timezone}'")
    if not 0 <= closing_hour <= 23:
        problems.say("closing_hour", "截止时刻应为 0–23 点", "The closing hour is from 0 to 23")
    return problems


def set_up_instance(
    session: Session,
    *,
    federation_code: str,
    federation_name: str,
    federation_name_en: str | None,
    username: str,
    display_name: str,
    password: str,
    email: str | None = None,
    timezone: str = "Asia/Shanghai",
    closing_hour: int = 17,
    now: datetime | None = None,
) -> User:
    """Set the instance up: its federation, its first administrator, its clock; return him.

    Raise Conflict when it is set up already, InvalidData naming every wrong field at once.
    """
    now = now or utcnow()
    if is_set_up(session):
        raise Conflict(pick(ALREADY_SET_UP))
    federation_code, username = federation_code.strip(), username.strip()
    fields = set_up_errors(
        federation_code=federation_code,
        federation_name=federation_name,
        username=username,
        display_name=display_name,
        password=password,
        timezone=timezone,
        closing_hour=closing_hour,
    )
    require_valid(fields, "the set-up has errors")
    federation = create_organisation(
        session,
        actor=SYSTEM,
        code=federation_code,
        name=federation_name.strip(),
        name_en=(federation_name_en or "").strip() or None,
        kind="federation",
        comment="first start",
    )
    settings = InstanceSettings(
        id=1,
        federation_id=federation.id,
        timezone=timezone,
        closing_hour=closing_hour,
        set_up_at=now,
    )
    try:
        with session.begin_nested():
            session.add(settings)
            session.flush()
    except IntegrityError:
        raise Conflict(pick(ALREADY_SET_UP)) from None
    admin = create_user(
        session,
        actor=SYSTEM,
        username=username,
        display_name=display_name.strip(),
        email=(email or "").strip() or None,
        password=password,
        roles=[("admin", federation)],
    )
    settings.set_up_by_id = admin.id
    record_event(
        session,
        SYSTEM,
        "instance.set_up",
        Entity("instance", 1, federation.id),
        after={
            "federation": federation_code,
            "administrator": username,
            "timezone": timezone,
            "closing_hour": closing_hour,
        },
        now=now,
    )
    return admin


def apply_settings(app: Flask, session: Session) -> bool:
    """Put the set-up's time zone and closing hour into ``app.config``; return if set up.

    Called at start-up and, until the instance is set up, before each request, so that every
    worker follows a set-up made in another one.
    """
    if app.extensions.get("nomination.set_up"):
        return True
    # Inspected on the session's own connection: another would wait for its lock (SQLite).
    if not inspect(session.connection()).has_table("instance_settings"):
        return False  # not migrated yet: `serve` and `demo` migrate first
    settings = session.get(InstanceSettings, 1)
    if settings is not None:
        app.config["TIMEZONE"] = settings.timezone
        app.config["CLOSING_HOUR"] = settings.closing_hour
        app.config["TZ"] = ZoneInfo(settings.timezone)
    done = is_set_up(session)
    app.extensions["nomination.set_up"] = done
    return done
