"""Fixtures: one app per database backend, each test inside a rolled-back transaction.

Every test runs on SQLite; when ``NOMINATION_TEST_POSTGRES_URL`` names a PostgreSQL database
(``.ci/run`` sets it up) the same tests run there too.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from werkzeug.security import generate_password_hash

from nomination import create_app, db
from nomination.actors import SYSTEM
from nomination.administration.campaigns import create_campaign, set_quota
from nomination.administration.organisations import create_organisation
from nomination.administration.people import create_user as create_user_operation
from nomination.app import connect_areas
from nomination.db import make_engine
from nomination.migrate import upgrade
from nomination.models import Campaign, Nomination, Organisation, User
from nomination.nominations.operations import create_nomination

from clients import WebClient
from factories import NOW, PASSWORD, attach_required_files, person_data

# Some tests use the engine without an application: the areas lend it their rules first.
connect_areas()

POSTGRES_URL = os.environ.get("NOMINATION_TEST_POSTGRES_URL")


def _backends() -> list[Any]:
    return [
        "sqlite",
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(
                not POSTGRES_URL, reason="NOMINATION_TEST_POSTGRES_URL is not set (no PostgreSQL)"
            ),
        ),
    ]


def fresh_app(instance: Any, url: str, **config: Any) -> Flask:
    """Return an application for the tests on a freshly migrated database at ``url``."""
    application = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "SECRET_KEY": "test",
            "INSTANCE_PATH": str(instance),
            "WTF_CSRF_ENABLED": False,
            # Test clients send the objection form at once; the abuse tests set their own.
            "OBJECTION_MIN_SECONDS": 0,
            "HOLIDAYS_FILE": str(instance / "holidays.toml"),
            # A fixed clock: every test sees the same "now", whatever day the suite runs.
            "FROZEN_TIME": NOW,
            **config,
        }
    )
    upgrade(application.extensions["nomination.engine"])
    return application


@pytest.fixture(scope="session", params=_backends())
def app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """An application on a freshly migrated database of one backend."""
    instance = tmp_path_factory.mktemp(f"instance-{request.param}")
    schema = f"test_{os.getpid()}"
    if request.param == "sqlite":
        url = f"sqlite:///{instance / 'test.sqlite3'}"
    else:
        # A schema of its own per test process, so that parallel runs never meet.
        admin = make_engine(POSTGRES_URL)
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        sep = "&" if "?" in POSTGRES_URL else "?"
        url = f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    application = fresh_app(instance, url)
    engine = application.extensions["nomination.engine"]
    application.config["BACKEND"] = request.param
    yield application
    db.session.remove()
    engine.dispose()
    if request.param == "postgresql":
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def clock(app: Flask) -> Iterator[Callable[[datetime], None]]:
    """Return a setter of the application's fixed clock; it is back at ``NOW`` after the test."""

    def set_time(moment: datetime) -> None:
        app.config["FROZEN_TIME"] = moment

    yield set_time
    app.config["FROZEN_TIME"] = NOW


@pytest.fixture
def session(app: Flask) -> Iterator[Any]:
    """The scoped session, joined to an outer transaction that is rolled back after the test."""
    engine = app.extensions["nomination.engine"]
    connection = engine.connect()
    outer = connection.begin()
    db.session.remove()
    db.session.configure(bind=connection, join_transaction_mode="create_savepoint")
    with app.app_context():
        yield db.session
    db.session.remove()
    outer.rollback()
    connection.close()
    db.session.configure(bind=engine)
    db.session.session_factory.kw.pop("join_transaction_mode", None)


@pytest.fixture
def client(app: Flask, session: Any) -> FlaskClient:
    """A test client whose requests share the test's transaction."""
    return WebClient(app, app.response_class, use_cookies=True)


# --- factories -------------------------------------------------------------------------------


@pytest.fixture
def create_org(session: Any) -> Callable[..., Organisation]:
    """Return a factory of organisations placed in the tree under ``parent``."""

    def factory(
        code: str, kind: str, parent: Organisation | None = None, name: str = ""
    ) -> Organisation:
        return create_organisation(
            session,
            actor=SYSTEM,
            code=code,
            name=name or code,
            name_en=name or code,
            kind=kind,
            parent=parent,
        )

    return factory


@functools.cache
def _password_hash() -> str:
    # scrypt is slow on purpose; hash the shared test password once per run.
    return generate_password_hash(PASSWORD, method="scrypt")


@pytest.fixture
def create_user(session: Any) -> Callable[..., User]:
    """Return a factory of users holding ``roles`` [(role, organisation), ...]."""

    def factory(username: str, roles: list[tuple[str, Organisation]] = ()) -> User:
        return create_user_operation(
            session,
            actor=SYSTEM,
            username=username,
            display_name=username,
            roles=list(roles),
            password_hash=_password_hash(),
        )

    return factory


class Tree:
    """A small federation: two committees, three units, a department, users for every role."""

    federation: Organisation
    committee1: Organisation
    committee2: Organisation
    unit1: Organisation
    unit2: Organisation
    unit3: Organisation
    users: dict[str, User]
    campaign: Campaign


@pytest.fixture
def tree(create_org: Callable, create_user: Callable, session: Any) -> Tree:
    """Return the small federation with an open campaign offering all three award kinds."""
    t = Tree()
    t.federation = create_org("F", "federation", name="朝阳区总工会")
    t.committee1 = create_org("C1", "committee", t.federation, name="第一工委")
    t.committee2 = create_org("C2", "committee", t.federation, name="第二工委")
    t.unit1 = create_org("U1", "unit", t.committee1, name="单位一")
    t.unit2 = create_org("U2", "unit", t.committee1, name="单位二")
    t.unit3 = create_org("U3", "unit", t.committee2, name="单位三")
    dept = create_org("D-HR", "department", t.federation, name="人社局")
    t.users = {
        "unit1": create_user("unit1", [("unit_submitter", t.unit1)]),
        "unit2": create_user("unit2", [("unit_submitter", t.unit2)]),
        "unit3": create_user("unit3", [("unit_submitter", t.unit3)]),
        "committee1": create_user("committee1", [("committee_reviewer", t.committee1)]),
        "committee2": create_user("committee2", [("committee_reviewer", t.committee2)]),
        "federation": create_user("federation", [("federation_reviewer", t.federation)]),
        "approver": create_user("approver", [("approver", t.federation)]),
        "auditor": create_user("auditor", [("auditor", t.federation)]),
        "admin": create_user("admin", [("admin", t.federation)]),
        "judge1": create_user("judge1", [("judge", t.federation)]),
        "dept-hr": create_user("dept-hr", [("department", dept)]),
    }
    t.campaign = create_campaign(
        session,
        actor=SYSTEM,
        year=2026,
        name="2026年首都劳动奖章、奖状和工人先锋号",
        federation=t.federation,
        nomination_deadline=date(2026, 12, 31),
        awards={
            "individual": ("首都劳动奖章", "Capital Labour Medal"),
            "unit": ("首都劳动奖状", "Capital Labour Award"),
            "team": ("北京市工人先锋号", "Beijing Workers' Pioneer"),
        },
        notice_working_days=5,
        objection_contact={"body": "朝阳区总工会劳模办", "phone": "010-65099999"},
    )
    set_quota(
        session,
        actor=SYSTEM,
        campaign=t.campaign,
        committee=t.committee1,
        kind="individual",
        places=2,
    )
    return t


@pytest.fixture
def create_nomination_for(session: Any, tree: Tree) -> Callable[..., Nomination]:
    """Return a factory of nominations by ``unit_user`` for their unit."""

    def factory(
        unit_user: str = "unit1",
        kind: str = "individual",
        data: dict | None = None,
        files: bool = True,
    ) -> Nomination:
        """With ``files``, the files the definition requires are attached, as a unit would."""
        user = tree.users[unit_user]
        unit = user.roles[0].organisation
        nomination = create_nomination(
            session,
            actor=user,
            campaign=tree.campaign,
            kind=kind,
            unit=unit,
            data=person_data() if data is None else data,
        )
        if files:
            attach_required_files(nomination, user)
        return nomination

    return factory
