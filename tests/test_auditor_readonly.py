"""Auditors can change nothing: every write route of the application refuses them.

The test walks ``app.url_map``: every endpoint that accepts POST, PATCH, PUT or DELETE is sent such
a request as the auditor, through the web session (CSRF off in tests) and, for the API, with a
bearer token, with a body that would succeed for someone allowed to do it. Each must answer
401/403/404/405 and leave the database as it was, but for the ``auth.denied`` events that record
the refusals. The auditor's own permitted writes are listed in ``ALLOWED`` with the reason.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import g
from sqlalchemy import func, select

from nomination.accounts import create_api_token
from nomination.db import Base
from nomination.engine import fire
from nomination.models import AuditEvent, AuditHead, Objection

from factories import person_data, recommendation
from test_api_support import OBJECTION
from test_web_support import as_form, login, walk_to_notice

pytest_plugins = ["test_web_support"]
pytestmark = pytest.mark.usefixtures("web")

WRITES = ("POST", "PATCH", "PUT", "DELETE")
REFUSED = (401, 403, 404, 405)

#: Writes the auditor may make, and why. ``send``: the request is still made, and must leave the
#: database unchanged (it reads, or writes only outside the database).
ALLOWED: dict[str, tuple[str, bool]] = {
    "auth.login": ("signing in is how anyone, the auditor too, starts a session", False),
    "auth.logout": ("signing out of one's own session", False),
    "auth.password": ("changing one's own password", False),
    "notifications.settings": ("choosing how one's own notifications are mailed", False),
    "notifications.read_all": ("marking one's own notifications read: a display state", True),
    "notifications.follow": ("following one's own notification marks it read", True),
    "audit.verify": ("running the verification writes its result to the instance file", True),
    "audit.export": (
        "an export reads the trail; POST carries the choices and the CSRF token",
        True,
    ),
    "audit.people": ("a read: the ID number is posted so that it never appears in a URL", True),
    "public.objections": (
        "the public's status lookup: the reference is posted, not put in a URL",
        True,
    ),
    "public.object_to": (
        "open to everyone without signing in: the objection is the public's (recorded as "
        "'public'), not an act in the auditor's role, and refusing a signed-in auditor would not "
        "stop the same person filing it signed out",
        False,
    ),
    "api.file_objection": ("the same public objection through the API", False),
    "auth.password_link": (
        "whoever holds a one-time link sets that account's password; a bogus link changes nothing",
        True,
    ),
    "auth.second_factor": ("giving one's own second factor at login", True),
    "auth.enrol": ("enrolling one's own second factor", False),
}


@pytest.fixture(autouse=True)
def verification_file(app, tmp_path, monkeypatch):
    """Keep the verification run's result in this test's own file."""
    monkeypatch.setitem(app.config, "AUDIT_VERIFICATION_FILE", str(tmp_path / "verified.json"))


def snapshot(session) -> dict[str, Any]:
    """Return every row of every table but the audit trail's, and the trail's head."""
    rows = {}
    for table in Base.metadata.sorted_tables:
        if table.name in ("audit_event", "audit_head"):
            continue
        rows[table.name] = sorted(map(repr, session.execute(select(table)).all()))
    return rows


@pytest.fixture
def world(session, create_nomination_for, web):
    """A draft, a recommended nomination and one on notice with an objection."""
    draft = create_nomination_for("unit1")
    recommended = create_nomination_for("unit1")
    fire(recommended, "recommend", web.users["unit1"], data=recommendation())
    on_notice = create_nomination_for("unit1")
    walk_to_notice(on_notice, web)
    from nomination.actors import PUBLIC

    fire(on_notice, "object", PUBLIC, data=dict(OBJECTION))
    token = create_api_token(
        session, web.users["auditor"], name="tests", actor=web.users["auditor"]
    )
    session.commit()
    objection = session.scalar(select(Objection).where(Objection.nomination_id == on_notice.id))
    return {
        "draft": draft,
        "recommended": recommended,
        "on_notice": on_notice,
        "reference": objection.reference,
        "token": token,
        "campaign": web.campaign,
    }


def _requests(endpoint: str, method: str, world: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the arguments and bodies to send to ``endpoint``: each a would-be success."""
    draft, recommended = world["draft"], world["recommended"]
    args: dict[str, Any] = {
        "nomination_id": draft.id,
        # One of the draft's files: removing or replacing it would succeed for its unit.
        "attachment_id": draft.attachments[0].id,
        "trigger": "recommend",
        "reference": world["reference"],
        "campaign_id": world["campaign"].id,
        "key_id": "0",
        "lang": "en",
        # Rounds, opinion requests and notifications: the auditor has none of them to act on.
        "round_id": 1,
        "request_id": 1,
        "notification_id": 1,
        "case_id": 1,
        "item_id": 1,
        "entry_id": 1,
        "person_id": 1,
        "studio_id": 1,
        # A provisional year: entering or confirming it would succeed for an administrator.
        "year": 2027,
        # The administration's objects: a unit, another user, a token.
        "org_id": draft.unit_id,
        "user_id": draft.created_by_id,
        "token_id": 1,
        "bar_id": 1,
        "token": "not-a-link",
    }
    if endpoint.startswith("api."):
        bodies = {
            "api.create_nomination": {
                "campaign_id": world["campaign"].id,
                "award_kind": "individual",
                "unit_id": draft.unit_id,
                "data": person_data(),
            },
            "api.update_nomination": {"version": draft.version, "data": {"post": "变更"}},
            "api.fire_transition": {
                "trigger": "recommend",
                "version": draft.version,
                **recommendation(),
            },
        }
        out = [{"args": args, "json": bodies.get(endpoint, {})}]
        if endpoint == "api.fire_transition":
            forward = {"trigger": "forward", "version": recommended.version, "comment": "同意"}
            out.append({"args": {**args, "nomination_id": recommended.id}, "json": forward})
        return out
    forms = {
        "nominations.new": as_form({"unit_id": draft.unit_id, **person_data()}),
        "nominations.edit": as_form({"version": draft.version, **person_data(post="变更")}),
        "nominations.fire": as_form({"version": draft.version, **recommendation()}),
        "calendar.year_page": {
            "holidays": "2027-01-01\n2027-02-05\n2027-02-08\n2027-04-05\n2027-06-09\n"
            "2027-09-15\n2027-10-01",
            "workdays": "",
            "source": "国办发明电〔2026〕1号",
            "action": "save",
        },
        "calendar.confirm": {"reason": "通知尚未发布"},
    }
    out = [{"args": args, "data": forms.get(endpoint, {})}]
    if endpoint == "nominations.new":
        out[0]["query_string"] = {"campaign_id": world["campaign"].id, "kind": "individual"}
    if endpoint == "nominations.fire":
        forward = as_form({"version": recommended.version, "comment": "同意"})
        out.append(
            {
                "args": {**args, "nomination_id": recommended.id, "trigger": "forward"},
                "data": forward,
            }
        )
    return out


def _writable(app) -> list[tuple[str, str, Any]]:
    out = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods & set(WRITES)):
            out.append((rule.endpoint, method, rule))
    return out


def test_the_allowed_writes_exist(app):
    endpoints = {endpoint for endpoint, _, _ in _writable(app)}
    assert set(ALLOWED) <= endpoints


def test_every_write_route_refuses_the_auditor(app, session, web_client, world):
    login(web_client, "auditor")
    adapter = app.url_map.bind("localhost")
    head_before = session.get(AuditHead, 1).seq
    before = snapshot(session)
    versions = {
        key: (world[key].version, world[key].state) for key in ("draft", "recommended", "on_notice")
    }
    tried = 0
    for endpoint, method, rule in _writable(app):
        allowed = ALLOWED.get(endpoint)
        if allowed is not None and not allowed[1]:
            continue
        for request in _requests(endpoint, method, world):
            values = {k: v for k, v in request["args"].items() if k in rule.arguments}
            url = adapter.build(endpoint, values, method=method)
            headers = {}
            if endpoint.startswith("api."):
                headers["Authorization"] = f"Bearer {world['token']}"
                g.pop("bearer_token", None)
            response = web_client.open(
                url,
                method=method,
                headers=headers,
                data=request.get("data"),
                json=request.get("json"),
                query_string=request.get("query_string"),
            )
            tried += 1
            what = f"{method} {rule} ({endpoint}) answered {response.status_code}"
            if allowed is None:
                assert response.status_code in REFUSED, what
            else:
                assert response.status_code < 500, what
            session.expire_all()
            assert snapshot(session) == before, f"{what} and changed the database"
            appended = session.scalars(
                select(AuditEvent.action).where(AuditEvent.seq > head_before)
            ).all()
            assert set(appended) <= {"auth.denied"}, f"{what} and recorded {set(appended)}"
    assert tried >= 8
    for key, (version, state) in versions.items():
        session.refresh(world[key])
        assert (world[key].version, world[key].state) == (version, state)
    # The refusals were recorded.
    denied = session.scalar(
        select(func.count()).where(AuditEvent.seq > head_before, AuditEvent.action == "auth.denied")
    )
    assert denied >= 5
