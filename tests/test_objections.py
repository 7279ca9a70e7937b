"""Objections (异议): the unit's verification, each conclusion, late objections, evidence, abuse.

The clock is the tests' fixed one (Wednesday 18 November 2026, 10:00 in Beijing); a notice of
five working days opened then closes on Tuesday 24 November at 17:00.
"""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import TimestampSigner
from PIL import Image
from sqlalchemy import select

from nomination.engine import apply_due_timers, available, fire
from nomination.models import AuditEvent, Nomination, NoticeEntry

from factories import ANSWER, NOW, OBJECTION, VERIFY, person_data, recommendation
from test_web_support import as_form, field_block, login, walk_to_notice

pytest_plugins = ["test_web_support"]
pytestmark = pytest.mark.usefixtures("web")


def bj(*args: int) -> datetime:
    """A moment given in Beijing time, as UTC."""
    return datetime(*args, tzinfo=UTC) - timedelta(hours=8)


@pytest.fixture
def at(app, monkeypatch):
    """Move the application's clock to a moment."""

    def move(moment: datetime) -> None:
        monkeypatch.setitem(app.config, "FROZEN_TIME", moment)

    return move


@pytest.fixture
def on_notice(session, web, create_nomination_for):
    """Unit1's nomination on public notice (committed)."""
    n = create_nomination_for("unit1")
    walk_to_notice(n, web)
    session.commit()
    return n


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def objection_form(data: dict, **files: list[tuple[bytes, str]]) -> dict:
    form: dict = as_form(data)
    for name, items in files.items():
        form[name] = [(io.BytesIO(content), filename) for content, filename in items]
    return form


def post_objection(client, nomination, data=OBJECTION, **files):
    return client.post(
        f"/notices/{nomination.id}/object",
        data=objection_form(data, **files),
        content_type="multipart/form-data",
    )


def hidden(html: str, name: str) -> str:
    """Return the value of the form's hidden field ``name``."""
    return html.split(f'name="{name}" type="hidden" value="')[1].split('"')[0]


def shown_earlier(nonce: str = "a-form-instance", seconds: int = 10) -> str:
    """Return a form instance's signed token, as if the form was shown ``seconds`` ago."""

    class Earlier(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - seconds

    return Earlier("test", salt="objection-form-issued").sign(nonce.encode()).decode()


def fresh(session, nomination) -> Nomination:
    session.expire_all()
    return session.get(Nomination, nomination.id)


# --- the objection sub-workflow ----------------------------------------------------------------


def object_at(session, client, nomination, at, moment):
    at(moment)
    assert post_objection(client, nomination).status_code == 302
    return fresh(session, nomination)


def test_the_unit_verifies_and_answers_with_evidence(
    session, web, web_client, new_web_client, on_notice, at
):
    n = object_at(session, web_client, on_notice, at, bj(2026, 11, 20, 10))
    assert n.state == "objection_review"
    federation = new_web_client()
    login(federation, "federation")
    at(bj(2026, 11, 20, 11))
    response = federation.post(
        f"/nominations/{n.id}/transitions/request_verification",
        data={**VERIFY, "version": n.version},
    )
    assert response.status_code == 302
    n = fresh(session, n)
    assert n.state == "unit_verification"
    # The unit has the campaign's five working days: Fri, Mon, Tue, Wed, Thu 26 Nov 17:00.
    assert n.timer_due_at == bj(2026, 11, 26, 17)

    unit = new_web_client()
    login(unit, "unit1")
    page = unit.get(f"/nominations/{n.id}")
    assert VERIFY["questions"] in page.text
    for secret in (OBJECTION["objector_name"], OBJECTION["objector_phone"], "某街道"):
        assert secret not in page.text
    # The unit attaches its evidence, then answers, signed by its leader in charge.
    upload = unit.post(
        f"/nominations/{n.id}/attachments",
        data={"purpose": "objection_answer", "file": (io.BytesIO(png_bytes()), "档案.png")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 302
    answered = unit.post(
        f"/nominations/{n.id}/transitions/answer_objection",
        data={**ANSWER, "version": fresh(session, n).version},
    )
    assert answered.status_code == 302
    n = fresh(session, n)
    assert n.state == "objection_review"
    [request] = n.evidence["verifications"]
    assert request["answer"]["leader_name"] == "李明"
    assert request["answer"]["opinion"] == "unfounded"
    [evidence] = [a for a in n.attachments if a.purpose == "objection_answer"]
    page = federation.get(f"/nominations/{n.id}").text
    assert "党委副书记 李明" in page and "反映问题不属实" in page
    assert evidence.sha256 in page
    got = federation.get(f"/nominations/{n.id}/attachments/{evidence.id}")
    assert got.data.startswith(b"\x89PNG")
    got.close()  # the file is streamed from the store
    # The history lists the file with its hash.
    added = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "attachment.add", AuditEvent.entity_id == str(n.id)
        )
    ).all()
    answers = [e for e in added if e.after["purpose"] == "objection_answer"]
    assert [e.after["sha256"] for e in answers] == [evidence.sha256]
    # Outside the verification the unit cannot attach answers.
    late_upload = unit.post(
        f"/nominations/{n.id}/attachments",
        data={"purpose": "objection_answer", "file": (io.BytesIO(png_bytes()), "x.png")},
        content_type="multipart/form-data",
    )
    assert late_upload.status_code == 403


@pytest.mark.parametrize(
    ("rule", "closes"),
    [
        # Interrupted on Friday with Fri, Mon, Tue left; resumed on Monday for those three.
        ("extend", (2026, 11, 25, 17)),
        # Restarted on Monday for a full five working days.
        ("restart", (2026, 11, 27, 17)),
    ],
)
def test_an_unfounded_objection_resumes_the_notice_by_the_campaign_rule(
    session, web, web_client, on_notice, at, rule, closes
):
    web.campaign.objection_resume = rule
    session.commit()
    n = object_at(session, web_client, on_notice, at, bj(2026, 11, 20, 10))
    assert n.evidence["notice_paused"]["working_days_left"] == 3
    at(bj(2026, 11, 23, 10))
    fire(n, "dismiss_objection", web.users["federation"], data={"comment": "经核查不属实"})
    session.commit()
    n = fresh(session, n)
    assert n.state == "public_notice"
    assert n.timer_due_at == bj(*closes)
    assert [o.status for o in n.objections] == ["unfounded"]
    # The board shows it again, with the period it now has.
    entries = session.scalars(
        select(NoticeEntry).where(NoticeEntry.nomination_id == n.id).order_by(NoticeEntry.sequence)
    ).all()
    assert [e.sequence for e in entries] == [1, 2]
    assert entries[0].closed_at == bj(2026, 11, 20, 10)
    assert entries[1].ends_at == bj(*closes) and entries[1].closed_at is None
    event = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "transition.dismiss_objection")
        .order_by(AuditEvent.seq.desc())
    ).first()
    assert event.after["notice_resumed"]["rule"] == rule
    # The objector sees the outcome with the reference.
    [objection] = n.objections
    status = web_client.post("/notices/objections", data={"reference": objection.reference})
    assert "异议不成立" in status.text


def test_an_unanswered_request_lapses_the_nomination(session, web, web_client, on_notice, at):
    n = object_at(session, web_client, on_notice, at, NOW)
    fire(n, "request_verification", web.users["federation"], data=VERIFY)
    session.commit()
    due = n.timer_due_at
    apply_due_timers(session, due - timedelta(seconds=1))
    assert fresh(session, n).state == "unit_verification"
    apply_due_timers(session, due)
    session.commit()
    n = fresh(session, n)
    assert n.state == "lapsed"
    [objection] = n.objections
    assert objection.status == "closed" and "视为放弃" in objection.conclusion
    status = web_client.post("/notices/objections", data={"reference": objection.reference})
    assert "视为放弃" in status.text


def test_a_founded_objection_rejects(session, web, web_client, on_notice, at):
    n = object_at(session, web_client, on_notice, at, NOW)
    fire(n, "uphold_objection", web.users["federation"], data={"reason": "经核查属实"})
    session.commit()
    n = fresh(session, n)
    assert n.state == "rejected"
    assert [(o.status, o.conclusion) for o in n.objections] == [("founded", "经核查属实")]


def test_substitution_moves_the_first_reserve_up(
    session, web, web_client, on_notice, at, create_nomination_for
):
    federation = web.users["federation"]
    reserves = []
    for name in ("李四", "王五"):
        r = create_nomination_for("unit2", data=person_data(name=name))
        fire(r, "recommend", web.users["unit2"], data=recommendation())
        fire(r, "forward", web.users["committee1"], data={"comment": "同意"})
        fire(r, "accept", federation, data={"comment": "符合条件"})
        fire(r, "consultation_clear", federation, data={"comment": "无异议"})
        fire(r, "hold_in_reserve", federation, data={"comment": "列为递补人选"})
        reserves.append(r)
    session.commit()
    n = object_at(session, web_client, on_notice, at, NOW)
    fire(n, "substitute", federation, data={"reason": "经核查属实,由递补人选替换"})
    session.commit()
    n, first, second = (fresh(session, x) for x in (n, *reserves))
    assert n.state == "substituted"
    assert [o.status for o in n.objections] == ["founded"]
    assert (first.state, second.state) == ("public_notice", "reserve")
    assert "李四" in web_client.get("/notices/").text
    event = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "transition.substitute", AuditEvent.entity_id == str(n.id)
        )
    ).one()
    assert event.after["replaced_by"] == first.id
    # With no reserve left after the second, substitution is refused with its reason.
    fire(second, "not_select", federation, data={"reason": "无需递补"})
    other = object_at(session, web_client, first, at, NOW)
    [option] = [o for o in available(other, federation) if o.transition.trigger == "substitute"]
    assert not option.allowed and "没有递补人选" in option.reasons[0]


# --- late objections -------------------------------------------------------------------------


def test_objections_after_the_notice_are_kept_and_marked_late(
    session, web, web_client, new_web_client, on_notice, at
):
    apply_due_timers(session, on_notice.timer_due_at)
    session.commit()
    n = fresh(session, on_notice)
    assert n.state == "final_approval"
    at(n.state_entered_at + timedelta(days=1))
    form = web_client.get(f"/notices/{n.id}/object")
    assert form.status_code == 200 and 'id="late-warning"' in form.text
    response = post_objection(web_client, n)
    assert response.status_code == 302
    confirmation = web_client.get("/notices/objections/received")
    assert 'id="late-notice"' in confirmation.text
    n = fresh(session, n)
    assert n.state == "final_approval"  # a late objection does not stop the procedure
    [objection] = n.objections
    assert objection.late and objection.status == "open"
    event = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "objection.receive", AuditEvent.entity_id == str(n.id)
        )
    ).one()
    assert event.after == {"objection_id": objection.id, "late": True, "state": "final_approval"}
    assert OBJECTION["objector_name"] not in event.payload
    # The handlers see it, marked late.
    federation = new_web_client()
    login(federation, "federation")
    page = federation.get(f"/nominations/{n.id}").text
    assert OBJECTION["objector_name"] in page and "data-late" in page
    # Through the API too; and never for a nomination that was never published.
    api = new_web_client().post(f"/api/v1/notices/{n.id}/objections", json=OBJECTION)
    assert api.status_code == 201 and api.json["late"] is True
    draft = fresh(session, on_notice).id + 1000
    assert (
        new_web_client().post(f"/api/v1/notices/{draft}/objections", json=OBJECTION).status_code
        == 404
    )


# --- evidence and the unit's sealed letter ---------------------------------------------------


def test_objection_with_evidence(session, web, web_client, new_web_client, on_notice):
    response = post_objection(
        web_client,
        on_notice,
        evidence=[(png_bytes(), "现场照片.png"), (png_bytes(), "副本.png")],
    )
    assert response.status_code == 302
    n = fresh(session, on_notice)
    [objection] = n.objections
    assert [a.filename for a in objection.attachments] == ["现场照片.png", "副本.png"]
    assert {a.purpose for a in objection.attachments} == {"objection_evidence"}
    evidence = objection.attachments[0]
    # Only the objection handlers get the files; the unit never learns they exist.
    unit = new_web_client()
    login(unit, "unit1")
    page = unit.get(f"/nominations/{n.id}").text
    assert "现场照片" not in page and evidence.sha256 not in page.split("timeline")[0]
    download = f"/nominations/{n.id}/attachments/{evidence.id}"
    assert unit.get(download).status_code == 403
    federation = new_web_client()
    login(federation, "federation")
    assert "现场照片.png" in federation.get(f"/nominations/{n.id}").text
    got = federation.get(download)
    assert got.status_code == 200 and got.data.startswith(b"\x89PNG")
    assert "attachment" in got.headers["Content-Disposition"]
    got.close()  # the file is streamed from the store


def test_a_refused_file_loses_nothing(session, web, web_client, on_notice):
    html = b"<html><script>alert(1)</script></html>"
    response = post_objection(
        web_client,
        on_notice,
        evidence=[(png_bytes(), "照片.png"), (html, "证明.pdf")],
    )
    assert response.status_code == 422
    block = field_block(response.text, "evidence")
    assert "证明.pdf" in block and "invalid-feedback" in block
    # What was typed is still there, and the good file need not be sent again.
    assert OBJECTION["facts"] in response.text
    assert 'id="kept-files"' in response.text and "照片.png" in response.text
    assert fresh(session, on_notice).objections == []
    kept, issued = hidden(response.text, "kept"), hidden(response.text, "issued")
    # The kept files go with their form instance only: with another, they are said to be lost
    # and nothing is filed without them.
    other = web_client.post(
        f"/notices/{on_notice.id}/object",
        data={**as_form(OBJECTION), "kept": kept, "issued": shown_earlier()},
        content_type="multipart/form-data",
    )
    assert other.status_code == 422 and "未能保留" in field_block(other.text, "evidence")
    assert fresh(session, on_notice).objections == []
    again = web_client.post(
        f"/notices/{on_notice.id}/object",
        data={**as_form(OBJECTION), "kept": kept, "issued": issued},
        content_type="multipart/form-data",
    )
    assert again.status_code == 302
    [objection] = fresh(session, on_notice).objections
    assert [a.filename for a in objection.attachments] == ["照片.png"]


def test_a_unit_objects_only_with_its_sealed_letter(session, web, web_client, on_notice):
    as_unit = dict(OBJECTION, objector_kind="unit", objector_name="某某建设集团有限公司工会")
    refused = post_objection(web_client, on_notice, as_unit)
    assert refused.status_code == 422
    assert "公章" in field_block(refused.text, "sealed_letter")
    assert "某某建设集团有限公司工会" in refused.text
    accepted = post_objection(
        web_client, on_notice, as_unit, sealed_letter=[(png_bytes(), "异议函.png")]
    )
    assert accepted.status_code == 302
    [objection] = fresh(session, on_notice).objections
    assert objection.objector_kind == "unit"
    assert [a.purpose for a in objection.attachments] == ["sealed_letter"]


# --- confidentiality and harmless text -------------------------------------------------------


def test_the_unit_never_sees_the_objector(session, web, web_client, new_web_client, on_notice):
    post_objection(web_client, on_notice)
    n = fresh(session, on_notice)
    secrets = (OBJECTION["objector_name"], OBJECTION["objector_phone"], "某街道")
    unit = new_web_client()
    login(unit, "unit1")
    for path in (
        f"/nominations/{n.id}",
        f"/api/v1/nominations/{n.id}",
        f"/api/v1/nominations/{n.id}/history",
    ):
        body = unit.get(path).get_data(as_text=True)
        assert body and not [s for s in secrets if s in body], path
    # The audit trail itself never holds the identity: no export can leak it.
    payloads = "".join(session.scalars(select(AuditEvent.payload)).all())
    assert not [s for s in secrets if s in payloads]
    assert n.objections[0].reference not in payloads


def test_objection_text_is_rendered_harmless(session, web, web_client, new_web_client, on_notice):
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    post_objection(web_client, on_notice, dict(OBJECTION, facts=f"具体事实如下:{payload}"))
    federation = new_web_client()
    login(federation, "federation")
    page = federation.get(f"/nominations/{on_notice.id}").text
    assert payload not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


# --- abuse -----------------------------------------------------------------------------------


def test_one_sender_is_limited(
    session, web, web_client, new_web_client, on_notice, app, monkeypatch
):
    monkeypatch.setitem(app.config, "OBJECTION_MAX_PER_CLIENT", 2)
    for _ in range(2):
        assert post_objection(web_client, on_notice).status_code == 302
    refused = post_objection(web_client, on_notice)
    assert refused.status_code == 429
    assert OBJECTION["facts"] in refused.text  # nothing typed is lost
    api = new_web_client().post(f"/api/v1/notices/{on_notice.id}/objections", json=OBJECTION)
    assert api.status_code == 429 and api.json["error"]["code"] == "rate_limited"
    # Another address is not held back; the count is by a pseudonym, never the address.
    other = web_client.post(
        f"/notices/{on_notice.id}/object",
        data=as_form(OBJECTION),
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert other.status_code == 302
    keys = {o.client_key for o in fresh(session, on_notice).objections}
    assert len(keys) == 2 and not [k for k in keys if "127.0.0.1" in k or "10.9.8.7" in k]


def test_robots_are_turned_away(session, web, web_client, on_notice, app, monkeypatch):
    honeypot = post_objection(
        web_client, on_notice, dict(OBJECTION, homepage="http://spam.example")
    )
    assert honeypot.status_code == 422 and "无法受理" in honeypot.text
    monkeypatch.setitem(app.config, "OBJECTION_MIN_SECONDS", 3)
    # Sent without the form ever being shown, or at once after it was: refused.
    assert post_objection(web_client, on_notice).status_code == 422
    page = web_client.get(f"/notices/{on_notice.id}/object").text
    issued = page.split('name="issued" type="hidden" value="')[1].split('"')[0]
    too_fast = post_objection(web_client, on_notice, dict(OBJECTION, issued=issued))
    assert too_fast.status_code == 422 and "提交过快" in too_fast.text
    assert OBJECTION["facts"] in too_fast.text
    # The phone comes back as it was typed, not as it is stored (+86…).
    assert f'value="{OBJECTION["objector_phone"]}"' in too_fast.text
    assert "+86" not in too_fast.text

    shown = shown_earlier()
    assert post_objection(web_client, on_notice, dict(OBJECTION, issued=shown)).status_code == 302
    assert [o.objector_name for o in fresh(session, on_notice).objections] == ["赵明"]


def test_a_file_sent_too_fast_is_kept(session, web, web_client, on_notice, app, monkeypatch):
    monkeypatch.setitem(app.config, "OBJECTION_MIN_SECONDS", 3)
    page = web_client.get(f"/notices/{on_notice.id}/object").text
    data = dict(OBJECTION, issued=hidden(page, "issued"))
    too_fast = post_objection(web_client, on_notice, data, evidence=[(png_bytes(), "照片.png")])
    assert too_fast.status_code == 422 and "提交过快" in too_fast.text
    assert fresh(session, on_notice).objections == []
    # The file was received and is kept with the form shown again: sent a moment later, the
    # objection has it.
    assert 'id="kept-files"' in too_fast.text and "照片.png" in too_fast.text
    monkeypatch.setitem(app.config, "OBJECTION_MIN_SECONDS", 0)
    again = post_objection(
        web_client,
        on_notice,
        dict(OBJECTION, issued=hidden(too_fast.text, "issued"), kept=hidden(too_fast.text, "kept")),
    )
    assert again.status_code == 302
    [objection] = fresh(session, on_notice).objections
    assert [a.filename for a in objection.attachments] == ["照片.png"]


def test_too_fast_shows_every_other_error(session, web, web_client, on_notice, app, monkeypatch):
    monkeypatch.setitem(app.config, "OBJECTION_MIN_SECONDS", 3)
    page = web_client.get(f"/notices/{on_notice.id}/object").text
    as_unit = dict(OBJECTION, objector_kind="unit", facts="", issued=hidden(page, "issued"))
    refused = post_objection(web_client, on_notice, as_unit)
    assert refused.status_code == 422 and "提交过快" in refused.text
    # Beside it, at once, what else is to be corrected: each next to its field.
    assert "invalid-feedback" in field_block(refused.text, "facts")
    assert "公章" in field_block(refused.text, "sealed_letter")
    assert fresh(session, on_notice).objections == []


def test_a_robot_submission_says_its_files_were_not_received(session, web, web_client, on_notice):
    refused = post_objection(
        web_client,
        on_notice,
        dict(OBJECTION, homepage="http://spam.example"),
        evidence=[(png_bytes(), "照片.png")],
    )
    assert refused.status_code == 422 and "无法受理" in refused.text
    block = field_block(refused.text, "evidence")
    assert "照片.png" in block and "未收到" in block and "invalid-feedback" in block
    assert 'id="kept-files"' not in refused.text
    assert fresh(session, on_notice).objections == []


def test_a_form_instance_files_one_objection(
    session, web, web_client, new_web_client, on_notice, app, monkeypatch
):
    monkeypatch.setitem(app.config, "OBJECTION_MIN_SECONDS", 3)
    shown = shown_earlier("one-form-instance")
    first = post_objection(web_client, on_notice, dict(OBJECTION, issued=shown))
    assert first.status_code == 302
    # The same signed form instance sent again, from elsewhere: refused as a repeat, with what
    # was typed kept and a new form instance to send it with.
    replay = post_objection(new_web_client(), on_notice, dict(OBJECTION, issued=shown))
    assert replay.status_code == 409 and "已经提交过" in replay.text
    assert OBJECTION["facts"] in replay.text and hidden(replay.text, "issued") != shown
    # Sent twice from the same browser (a double click): its receipt, never a second objection.
    twice = post_objection(web_client, on_notice, dict(OBJECTION, issued=shown))
    assert twice.status_code == 302 and twice.location.endswith("/notices/objections/received")
    assert len(fresh(session, on_notice).objections) == 1
    # Sent again from the same browser with changed facts: refused, the new text kept.
    changed = dict(OBJECTION, issued=shown, facts=OBJECTION["facts"] + "另有补充情况。")
    again = post_objection(web_client, on_notice, changed)
    assert again.status_code == 409 and "已经提交过" in again.text
    assert "另有补充情况。" in again.text
    assert len(fresh(session, on_notice).objections) == 1
    # A new form instance files a new objection.
    other = post_objection(web_client, on_notice, dict(OBJECTION, issued=shown_earlier("two")))
    assert other.status_code == 302
    assert len(fresh(session, on_notice).objections) == 2


def test_an_expired_form_keeps_its_file(session, web, web_client, on_notice, app, monkeypatch):
    monkeypatch.setitem(app.config, "OBJECTION_MIN_SECONDS", 3)
    monkeypatch.setitem(app.config, "OBJECTION_FORM_MAX_AGE_SECONDS", 60)
    data = dict(OBJECTION, issued=shown_earlier(seconds=120))
    expired = post_objection(web_client, on_notice, data, evidence=[(png_bytes(), "照片.png")])
    assert expired.status_code == 422 and "表单已过期" in expired.text
    assert 'id="kept-files"' in expired.text and "照片.png" in expired.text
    assert fresh(session, on_notice).objections == []
