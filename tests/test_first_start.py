"""The first start: a fresh instance is set up once, by `nomination init` or in the browser."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, text
from threads import in_threads

from nomination import create_app, db
from nomination.administration.first_start import (
    apply_settings,
    is_set_up,
    set_up_instance,
    setup_token,
)
from nomination.audit.chain import verify_chain
from nomination.db import make_engine
from nomination.errors import Conflict, InvalidData
from nomination.migrate import upgrade
from nomination.models import AuditEvent, InstanceSettings, Organisation, User

POSTGRES_URL = os.environ.get("NOMINATION_TEST_POSTGRES_URL")
PASSWORD = "first-start-password"
DETAILS: dict[str, Any] = {
    "federation_code": "CY-ZGH",
    "federation_name": "北京市朝阳区总工会",
    "federation_name_en": "Chaoyang District Federation of Trade Unions",
    "username": "admin",
    "display_name": "张建华",
    "password": PASSWORD,
    "timezone": "Asia/Urumqi",
    "closing_hour": 18,
}


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(
                not POSTGRES_URL, reason="NOMINATION_TEST_POSTGRES_URL is not set (no PostgreSQL)"
            ),
        ),
    ]
)
def fresh(request: pytest.FixtureRequest, tmp_path) -> Iterator[Flask]:
    """An application on an empty, migrated database of its own: no user, no organisation."""
    # create_app binds the shared session to its engine: give it back afterwards.
    bind = db.session.session_factory.kw.get("bind")
    schema = f"fresh_{os.getpid()}_{abs(hash(tmp_path)) % 10**8}"
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    else:
        admin = make_engine(POSTGRES_URL)
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "SECRET_KEY": "fresh",
            "INSTANCE_PATH": str(tmp_path),
            "WTF_CSRF_ENABLED": False,
        }
    )
    engine = app.extensions["nomination.engine"]
    upgrade(engine)
    app.config["BACKEND"] = request.param
    try:
        yield app
    finally:
        db.session.remove()
        engine.dispose()
        db.session.configure(bind=bind)
        if request.param == "postgresql":
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()


def test_the_set_up_names_the_federation_its_administrator_and_its_clock(fresh):
    with fresh.app_context():
        assert not is_set_up(db.session)
        admin = set_up_instance(db.session, **DETAILS)
        db.session.commit()
        assert is_set_up(db.session)
        federation = db.session.scalar(select(Organisation))
        assert (federation.code, federation.kind) == ("CY-ZGH", "federation")
        assert [(r.role, r.organisation.code) for r in admin.roles] == [("admin", "CY-ZGH")]
        assert admin.check_password(PASSWORD)
        settings = db.session.get(InstanceSettings, 1)
        assert (settings.timezone, settings.closing_hour) == ("Asia/Urumqi", 18)
        assert settings.set_up_by_id == admin.id
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
        assert actions == ["organisation.create", "user.create", "instance.set_up"]
        assert verify_chain(db.session).ok
        # Every worker takes the clock the set-up chose.
        fresh.extensions.pop("nomination.set_up", None)
        assert apply_settings(fresh, db.session) is True
        assert (fresh.config["TIMEZONE"], fresh.config["CLOSING_HOUR"]) == ("Asia/Urumqi", 18)
        db.session.remove()


def test_the_set_up_runs_once(fresh):
    with fresh.app_context():
        set_up_instance(db.session, **DETAILS)
        db.session.commit()
        with pytest.raises(Conflict):
            set_up_instance(db.session, **{**DETAILS, "federation_code": "OTHER"})
        db.session.rollback()
        assert db.session.scalars(select(User.username)).all() == ["admin"]
        db.session.remove()


def test_every_wrong_field_is_named_at_once(fresh):
    with fresh.app_context(), pytest.raises(InvalidData) as err:
        set_up_instance(
            db.session,
            federation_code="朝阳",
            federation_name=" ",
            federation_name_en=None,
            username="a",
            display_name="",
            password="short",
            timezone="Beijing",
            closing_hour=24,
        )
    assert set(err.value.fields) == {
        "federation_code",
        "federation_name",
        "username",
        "display_name",
        "password",
        "timezone",
        "closing_hour",
    }


def test_two_set_ups_at_once_make_one(fresh):
    def set_up(name):
        def act(start):
            start.wait(timeout=30)
            set_up_instance(db.session, **{**DETAILS, "federation_code": name, "username": name})

        return act

    results = in_threads(fresh, set_up("first"), set_up("second"))
    assert sorted(results) == ["conflict", "ok"], results
    with fresh.app_context():
        assert len(db.session.scalars(select(User)).all()) == 1
        assert len(db.session.scalars(select(Organisation)).all()) == 1
        assert verify_chain(db.session).ok
        db.session.remove()


def test_the_set_up_page(fresh):
    client = fresh.test_client()
    login = client.get("/login")
    assert 'id="not-set-up"' in login.text
    assert client.get("/setup").status_code == 403
    token = setup_token(fresh.config["SECRET_KEY"])
    assert client.get("/setup?token=wrong").status_code == 403
    page = client.get(f"/setup?token={token}")
    assert page.status_code == 200
    typed = {
        "token": token,
        "federation_name": "北京市朝阳区总工会",
        "federation_code": "朝阳",
        "username": "admin",
        "display_name": "张建华",
        "password": PASSWORD,
        "confirm": "something else",
        "timezone": "Asia/Shanghai",
        "closing_hour": "17",
    }
    refused = client.post("/setup", data=typed)
    assert refused.status_code == 422
    assert "CY-ZGH" in refused.text  # the hint beside the code
    assert "两次输入不一致" in refused.text
    assert 'value="北京市朝阳区总工会"' in refused.text
    with fresh.app_context():
        assert not is_set_up(db.session)
        db.session.remove()
    done = client.post("/setup", data={**typed, "federation_code": "CY-ZGH", "confirm": PASSWORD})
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/")
    # Logged in as the administrator; the set-up is gone for good.
    assert "张建华" in client.get("/").text
    assert client.get(f"/setup?token={token}").status_code == 404
    assert client.post("/setup", data={**typed, "confirm": PASSWORD}).status_code == 404
    assert 'id="not-set-up"' not in fresh.test_client().get("/login").text
