"""Notifications: who hears of what, reminders that go once, mail to a real SMTP server, pages."""

from __future__ import annotations

import email
import email.policy
import re
import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from flask.cli import ScriptInfo
from jsonschema import Draft202012Validator
from sqlalchemy import func, select

from nomination import db, signals
from nomination.api.openapi import document
from nomination.cli import main
from nomination.engine import calendar, fire
from nomination.models import (
    AuditEvent,
    ConsultationRequest,
    Notification,
    SelectionMember,
    SelectionRound,
)
from nomination.notifications import is_internal_path, notify, send_digests, send_pending, sweep

from factories import NOW, recommendation
from test_api_support import Api
from test_web_support import login

pytest_plugins = ["test_web_support"]

CONSULT_HR = [{"when": {}, "departments": ["D-HR"]}]


#: The last notification before the test began: tests that commit for real (concurrency)
#: leave theirs behind, and only this test's count here.
_BEFORE = {"id": 0}


@pytest.fixture(autouse=True)
def _only_this_tests_notifications(session):
    _BEFORE["id"] = session.scalar(select(func.max(Notification.id))) or 0


def rows(session, user=None, kind=None):
    """Return the notifications (of ``user``, of ``kind``) this test wrote, oldest first."""
    query = select(Notification).where(Notification.id > _BEFORE["id"]).order_by(Notification.id)
    if user is not None:
        query = query.where(Notification.user_id == user.id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return session.scalars(query).all()


def recipients(session, kind=None):
    """Return the user names notified (of ``kind``)."""
    return sorted(n.user.username for n in rows(session, kind=kind))


@pytest.fixture
def nomination(create_nomination_for):
    return create_nomination_for("unit1")


def to_federation_review(nomination, tree):
    fire(nomination, "recommend", tree.users["unit1"], data=recommendation())
    fire(nomination, "forward", tree.users["committee1"], data={"comment": "同意"})


def to_consultation(nomination, tree, session):
    tree.campaign.consultation_rules = CONSULT_HR
    session.flush()
    to_federation_review(nomination, tree)
    fire(nomination, "accept", tree.users["federation"], data={"comment": "符合条件"})
    return session.scalars(
        select(ConsultationRequest).where(ConsultationRequest.nomination_id == nomination.id)
    ).one()


# --- who hears of what -------------------------------------------------------------------------


def test_recommending_notifies_the_committee_reviewer_only(session, tree, nomination):
    fire(nomination, "recommend", tree.users["unit1"], data=recommendation())

    # Not the other committee's reviewer, not the unit that acted, nobody else.
    assert recipients(session) == ["committee1"]
    (n,) = rows(session)
    assert n.kind == "queue"
    assert n.url == f"/nominations/{nomination.id}"
    assert "张建国" in n.message["zh"] and "工委审核" in n.message["zh"]
    assert "张建国" in n.message["en"] and "Working-committee review" in n.message["en"]
    assert n.email_status == "none"  # mail is off by default
    assert n.read_at is None


def test_returning_notifies_the_units_submitters(session, tree, nomination, create_user):
    colleague = create_user("unit1b", [("unit_submitter", tree.unit1)])
    fire(nomination, "recommend", tree.users["unit1"], data=recommendation())
    fire(nomination, "return_to_unit", tree.users["committee1"], data={"reason": "补充事迹材料"})

    returned = rows(session, kind="returned")
    assert sorted(n.user.username for n in returned) == ["unit1", "unit1b"]
    assert {n.url for n in returned} == {f"/nominations/{nomination.id}"}
    assert "退回" in returned[0].message["zh"] and "returned" in returned[0].message["en"]
    # A returned nomination is the unit's to do: not a second, "queue" notification.
    assert rows(session, colleague, kind="queue") == []
    assert rows(session, tree.users["unit2"]) == []


def test_outcome_reaches_the_unit(session, tree, nomination):
    fire(nomination, "recommend", tree.users["unit1"], data=recommendation())
    fire(nomination, "reject", tree.users["committee1"], data={"reason": "不符合条件"})

    (result,) = rows(session, kind="result")
    assert result.user == tree.users["unit1"]
    assert "未通过" in result.message["zh"] and "Rejected" in result.message["en"]


def test_entering_consultation_notifies_the_departments_without_names(session, tree, nomination):
    request = to_consultation(nomination, tree, session)

    (n,) = rows(session, tree.users["dept-hr"])
    assert n.kind == "queue"
    assert n.url == f"/consultations/{request.id}"
    assert n.message == {
        "zh": f"新的征求意见请求 #{request.id}",
        "en": f"New consultation request #{request.id}",
    }
    # The federation reviewer was told when it reached them, not of their own action since.
    (told,) = rows(session, tree.users["federation"])
    assert "区总工会初审" in told.message["zh"]


def test_a_selection_round_notifies_its_judges(session, tree, create_user):
    judge2 = create_user("judge2", [("judge", tree.federation)])
    round_ = SelectionRound(
        campaign=tree.campaign,
        kind="individual",
        number=1,
        rule="1/2",
        places=1,
        chair_id=tree.users["judge1"].id,
        opened_by_id=tree.users["federation"].id,
        opened_at=NOW,
    )
    round_.members = [SelectionMember(user=tree.users["judge1"]), SelectionMember(user=judge2)]
    session.add(round_)
    session.flush()

    signals.selection_round_opened.send(round_, actor=tree.users["federation"])
    assert recipients(session, "queue") == ["judge1", "judge2"]
    assert {n.url for n in rows(session)} == {f"/selection-rounds/{round_.id}"}
    assert all("#" in n.message["zh"] and "张" not in n.message["zh"] for n in rows(session))

    round_.status = "closed"
    session.flush()
    signals.selection_round_closed.send(round_, actor=tree.users["federation"])
    assert recipients(session, "result") == ["judge1", "judge2"]


def test_notify_writes_a_key_once_and_keeps_the_transaction(session, tree):
    user = tree.users["unit1"]
    message = {"zh": "测试", "en": "Test"}
    first = notify(session, user, kind="queue", key="k:1", message=message, url="/")
    again = notify(session, user, kind="queue", key="k:1", message=message, url="/")
    assert first is not None and again is None
    # The session is still usable: the caller's transaction goes on.
    other = notify(session, tree.users["unit2"], kind="queue", key="k:1", message=message, url="/")
    assert other is not None
    session.flush()
    assert len(rows(session)) == 2


# --- reminders ---------------------------------------------------------------------------------


def test_sweep_reminds_of_a_near_deadline_once(session, tree, nomination):
    fire(nomination, "recommend", tree.users["unit1"], data=recommendation())
    fire(nomination, "return_to_unit", tree.users["committee1"], data={"reason": "补充事迹材料"})
    due = nomination.timer_due_at
    assert due is not None

    assert sweep(session, NOW) == 0  # ten working days away
    day_before = due - timedelta(days=1)
    assert sweep(session, day_before) == 1
    assert sweep(session, day_before) == 0
    assert sweep(session, day_before + timedelta(hours=2)) == 0

    (reminder,) = rows(session, kind="due_soon")
    assert reminder.user == tree.users["unit1"]  # the unit must resubmit
    assert reminder.url == f"/nominations/{nomination.id}"
    assert calendar().local(due).date().isoformat() in reminder.message["zh"]


def test_sweep_reminds_then_reports_an_overdue_opinion(session, tree, nomination):
    request = to_consultation(nomination, tree, session)
    before = {n.id for n in rows(session)}

    assert sweep(session, request.due_at - timedelta(days=1)) == 1
    (soon,) = [n for n in rows(session) if n.id not in before]
    assert (soon.kind, soon.user.username) == ("due_soon", "dept-hr")
    assert soon.url == f"/consultations/{request.id}"

    late = request.due_at + timedelta(hours=1)
    assert sweep(session, late) == 2
    assert sweep(session, late + timedelta(days=3)) == 0  # once only
    overdue = {n.user.username: n for n in rows(session, kind="overdue")}
    assert set(overdue) == {"dept-hr", "federation"}
    assert overdue["dept-hr"].url == f"/consultations/{request.id}"
    assert overdue["federation"].url == f"/nominations/{nomination.id}"
    assert "张建国" not in overdue["dept-hr"].message["zh"]


def test_answered_requests_are_not_chased(session, tree, nomination):
    request = to_consultation(nomination, tree, session)
    request.status = "clear"
    session.flush()
    assert sweep(session, request.due_at + timedelta(hours=1)) == 0


# --- mail --------------------------------------------------------------------------------------


class Sink:
    """An SMTP handler keeping what it receives; it refuses mail to bounce@… addresses."""

    def __init__(self):
        self.received = []

    async def handle_RCPT(self, server, smtp_session, envelope, address, rcpt_options):
        if address.startswith("bounce@"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, smtp_session, envelope):
        self.received.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_sink():
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield sink, controller.port
    finally:
        controller.stop()


@pytest.fixture
def mail_on(app, monkeypatch):
    def configure(port: int) -> None:
        for key, value in {
            "MAIL_ENABLED": True,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": port,
            "MAIL_FROM": "honours@example.org",
            "BASE_URL": "https://honours.example.org/",
        }.items():
            monkeypatch.setitem(app.config, key, value)

    return configure


def test_pending_mail_reaches_the_smtp_server(session, app, tree, nomination, smtp_sink, mail_on):
    sink, port = smtp_sink
    mail_on(port)
    tree.users["committee1"].email = "c1@example.org"
    session.flush()
    fire(nomination, "recommend", tree.users["unit1"], data=recommendation())
    (n,) = rows(session)
    assert n.email_status == "pending"

    assert send_pending(session, app.config) == (1, 0)
    assert n.email_status == "sent" and n.emailed_at == NOW and n.email_error is None
    (envelope,) = sink.received
    assert envelope.rcpt_tos == ["c1@example.org"]
    assert envelope.mail_from == "honours@example.org"
    mail = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert "待办" in mail["Subject"]
    body = mail.get_content()
    lines = body.splitlines()
    assert lines[0] == n.message["zh"] and lines[1] == n.message["en"]
    assert f"https://honours.example.org/nominations/{nomination.id}" in lines

    assert send_pending(session, app.config) == (0, 0)  # sent once
    assert len(sink.received) == 1


def test_a_refused_recipient_fails_alone(session, app, tree, smtp_sink, mail_on, caplog):
    sink, port = smtp_sink
    mail_on(port)
    bouncing, fine = tree.users["unit1"], tree.users["unit2"]
    bouncing.email, fine.email = "bounce@example.org", "unit2@example.org"
    message = {"zh": "测试", "en": "Test"}
    refused = notify(session, bouncing, kind="queue", key="k", message=message, url="/")
    kept = notify(session, fine, kind="queue", key="k", message=message, url="/")

    assert send_pending(session, app.config) == (1, 1)
    assert (refused.email_status, kept.email_status) == ("failed", "sent")
    assert refused.email_error == "SMTPRecipientsRefused"  # the server's echo is not kept
    assert [e.rcpt_tos for e in sink.received] == [["unit2@example.org"]]
    assert "bounce@example.org" not in caplog.text


def test_tick_writes_reminders_and_sends_mail(session, app, tree, nomination, smtp_sink, mail_on):
    sink, port = smtp_sink
    mail_on(port)
    tree.users["unit1"].email = "unit1@example.org"
    fire(nomination, "recommend", tree.users["unit1"], data=recommendation())
    fire(nomination, "return_to_unit", tree.users["committee1"], data={"reason": "补充事迹材料"})
    now = (nomination.timer_due_at - timedelta(days=1)).isoformat()

    first = invoke(app, "tick", "--now", now)
    assert first.exit_code == 0, first.output
    assert "1 reminder(s) written" in first.output
    assert "2 mail(s) sent, 0 failed" in first.output  # returned, then due soon
    assert sorted(e.rcpt_tos[0] for e in sink.received) == ["unit1@example.org"] * 2

    second = invoke(app, "tick", "--now", now)
    assert second.exit_code == 0, second.output
    assert "reminder" not in second.output and "mail" not in second.output
    assert len(sink.received) == 2


def invoke(app, *args):
    # The command commits or rolls back the shared session: keep what the test made so far.
    db.session.commit()
    return CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))


def test_users_without_address_or_with_mail_off_get_no_mail(session, app, tree, mail_on):
    assert send_pending(session, app.config) == (0, 0)
    mail_on(free_port())
    n = notify(
        session,
        tree.users["unit1"],  # no e-mail address
        kind="queue",
        key="k",
        message={"zh": "测试", "en": "Test"},
        url="/",
    )
    assert n.email_status == "none"


def test_a_refused_connection_marks_the_mail_failed(session, app, tree, mail_on, caplog):
    mail_on(free_port())  # nothing listens there
    user = tree.users["unit1"]
    user.email = "unit1@example.org"
    n = notify(session, user, kind="queue", key="k", message={"zh": "测", "en": "T"}, url="/")
    assert n.email_status == "pending"

    assert send_pending(session, app.config) == (0, 1)
    assert n.email_status == "failed"
    assert "ConnectionRefused" in n.email_error
    assert "unit1@example.org" not in caplog.text


# --- pages -------------------------------------------------------------------------------------


@pytest.fixture
def committed(session, tree, nomination):
    """The tree and a recommended nomination, committed so that requests keep them."""
    fire(nomination, "recommend", tree.users["unit1"], data=recommendation())
    session.commit()
    return nomination


def test_the_page_lists_and_following_marks_read(web_client, session, tree, committed):
    login(web_client, "committee1")
    page = web_client.get("/notifications/")
    assert page.status_code == 200
    (n,) = rows(session, tree.users["committee1"])
    assert f'data-notification="{n.id}" data-unread="true"' in page.text
    assert "张建国" in page.text
    assert 'id="unread-count">1<' in page.text

    followed = web_client.post(f"/notifications/{n.id}/follow")
    assert followed.status_code == 302
    assert followed.headers["Location"] == f"/nominations/{committed.id}"
    session.refresh(n)
    assert n.read_at == NOW

    page = web_client.get("/notifications/")
    assert f'data-notification="{n.id}" data-unread="false"' in page.text
    assert 'id="unread-count"' not in page.text


def test_mark_all_read(web_client, session, tree, committed):
    user = tree.users["committee1"]
    notify(session, user, kind="result", key="x", message={"zh": "另一条", "en": "More"}, url="/")
    session.commit()
    login(web_client, "committee1")
    assert 'id="unread-count">2<' in web_client.get("/").text

    response = web_client.post("/notifications/read-all")
    assert response.status_code == 302
    session.expire_all()
    assert all(n.read_at is not None for n in rows(session, user))
    assert 'id="unread-count"' not in web_client.get("/").text


def test_mark_all_read_needs_the_csrf_token(web_client, session, tree, committed, app, monkeypatch):
    login(web_client, "committee1")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert web_client.post("/notifications/read-all").status_code == 400
    session.expire_all()
    assert all(n.read_at is None for n in rows(session, tree.users["committee1"]))


def test_nobody_follows_anothers_notification(web_client, session, tree, committed):
    (n,) = rows(session)
    login(web_client, "committee2")
    assert web_client.post(f"/notifications/{n.id}/follow").status_code == 404
    session.refresh(n)
    assert n.read_at is None


@pytest.mark.parametrize(
    "url", ["https://evil.example/x", "//evil.example/x", "/\\evil.example", "javascript:x"]
)
def test_following_refuses_a_link_outside_the_application(web_client, session, tree, url):
    n = notify(
        session,
        tree.users["unit1"],
        kind="queue",
        key="bad",
        message={"zh": "x", "en": "x"},
        url=url,
    )
    session.commit()
    login(web_client, "unit1")
    response = web_client.post(f"/notifications/{n.id}/follow")
    assert response.status_code == 400
    assert "Location" not in response.headers
    session.refresh(n)
    assert n.read_at is None
    assert not is_internal_path(url)


def test_internal_paths():
    assert is_internal_path("/nominations/12")
    assert is_internal_path("/consultations/3?x=1")
    assert not is_internal_path("nominations/12")
    assert not is_internal_path("/\tevil")


# --- API ---------------------------------------------------------------------------------------


def conforms(schema, instance):
    schema = {**schema, "components": document()["components"]}
    assert [e.message for e in Draft202012Validator(schema).iter_errors(instance)] == []


def test_the_api_lists_only_the_callers_own(client, session, tree, nomination):
    fire(nomination, "recommend", tree.users["unit1"], data=recommendation())
    notify(
        session,
        tree.users["committee2"],
        kind="queue",
        key="x",
        message={"zh": "二", "en": "2"},
        url="/",
    )
    api = Api(client, session, tree)  # commits
    doc = document()["paths"]

    listed = api.get("/notifications", "committee1")
    assert listed.status_code == 200
    conforms(
        doc["/notifications"]["get"]["responses"]["200"]["content"]["application/json"]["schema"],
        listed.json,
    )
    (item,) = listed.json["items"]
    assert item["url"] == f"/nominations/{nomination.id}" and item["read_at"] is None
    assert listed.json["unread"] == 1
    assert [i["message"]["zh"] for i in api.get("/notifications", "committee2").json["items"]] == [
        "二"
    ]
    assert api.get("/notifications", "unit2").json["items"] == []

    # Someone else's notification answers like a missing one.
    assert api.post(f"/notifications/{item['id']}/read", "committee2").status_code == 404
    read = api.post(f"/notifications/{item['id']}/read", "committee1")
    assert read.status_code == 200
    assert read.json["read_at"] is not None
    assert api.get("/notifications?unread=1", "committee1").json["items"] == []
    assert len(api.get("/notifications", "committee1").json["items"]) == 1
    assert api.get("/notifications").status_code == 401


# --- the daily digest --------------------------------------------------------------------------


def test_a_daily_digest_gathers_a_days_notifications_in_one_mail(
    session, app, tree, smtp_sink, mail_on
):
    sink, port = smtp_sink
    mail_on(port)
    daily, immediate = tree.users["federation"], tree.users["committee1"]
    daily.email, immediate.email = "fed@example.org", "c1@example.org"
    daily.mail_delivery = "daily"
    message = {"zh": "第{0}件待办", "en": "To do #{0}"}
    for number in (1, 2, 3):
        text = {k: v.format(number) for k, v in message.items()}
        notify(session, daily, kind="queue", key=f"d{number}", message=text, url=f"/n/{number}")
    notify(session, immediate, kind="queue", key="i", message=message, url="/")

    # Mail per notification goes to those who want it; the daily user's wait for the digest.
    assert send_pending(session, app.config) == (1, 0)
    assert [e.rcpt_tos for e in sink.received] == [["c1@example.org"]]
    assert send_digests(session, app.config, NOW) == (1, 0)
    assert [e.rcpt_tos for e in sink.received[1:]] == [["fed@example.org"]]
    mail = email.message_from_bytes(sink.received[1].content, policy=email.policy.default)
    assert "摘要" in mail["Subject"] and "3" in mail["Subject"]
    body = mail.get_content()
    for number in (1, 2, 3):
        assert f"第{number}件待办" in body and f"To do #{number}" in body
        assert f"https://honours.example.org/n/{number}" in body
    assert {n.email_status for n in rows(session, daily)} == {"sent"}
    assert daily.digest_sent_at == NOW

    # Once a local day: what comes later the same day waits for the next day's digest.
    notify(session, daily, kind="result", key="d4", message={"zh": "晚到", "en": "Late"}, url="/")
    assert send_digests(session, app.config, NOW + timedelta(hours=8)) == (0, 0)
    assert send_pending(session, app.config) == (0, 0)
    assert send_digests(session, app.config, NOW + timedelta(days=1)) == (1, 0)
    late = email.message_from_bytes(sink.received[2].content, policy=email.policy.default)
    assert "晚到" in late.get_content() and "第1件待办" not in late.get_content()
    assert len(sink.received) == 3


def test_the_tick_sends_the_digests(session, app, tree, smtp_sink, mail_on):
    sink, port = smtp_sink
    mail_on(port)
    user = tree.users["federation"]
    user.email, user.mail_delivery = "fed@example.org", "daily"
    notify(session, user, kind="queue", key="a", message={"zh": "甲", "en": "A"}, url="/")
    notify(session, user, kind="queue", key="b", message={"zh": "乙", "en": "B"}, url="/")
    result = invoke(app, "tick", "--now", NOW.isoformat())
    assert result.exit_code == 0, result.output
    assert "1 digest(s) sent, 0 failed" in result.output
    assert "mail(s) sent" not in result.output
    assert [e.rcpt_tos for e in sink.received] == [["fed@example.org"]]


def test_the_user_chooses_the_daily_digest_in_the_settings(web_client, session, tree):
    session.commit()
    login(web_client, "federation")
    page = web_client.get("/notifications/settings")
    assert page.status_code == 200
    assert checked(page.text) == ["immediate"]
    assert web_client.get("/notifications/").text.count('href="/notifications/settings"') >= 1

    refused = web_client.post("/notifications/settings", data={"delivery": "hourly"})
    assert refused.status_code == 422 and 'id="delivery-errors"' in refused.text
    chosen = web_client.post("/notifications/settings", data={"delivery": "daily"})
    assert chosen.status_code == 302
    user = tree.users["federation"]
    session.refresh(user)
    assert user.mail_delivery == "daily"
    event = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "user.mail_delivery_changed")
        .order_by(AuditEvent.seq.desc())
    ).first()
    assert event.entity_id == str(user.id) and event.after == {"mail_delivery": "daily"}
    assert event.actor_id == user.id
    assert checked(web_client.get("/notifications/settings").text) == ["daily"]


def checked(html: str) -> list[str]:
    """Return the values of the checked radio buttons of a page."""
    return re.findall(r'<input checked[^>]*value="([a-z]+)"', html)
