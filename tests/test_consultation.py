"""Department consultation (征求意见): routing by the campaign's rules, what a department sees,
its opinions (a veto, the last clear one), deadlines, files, conflicts, and who reads what.

The clock is the tests' fixed one (Wednesday 18 November 2026, 10:00 in Beijing); a consultation
of five working days opened then ends on Tuesday 24 November at 17:00.
"""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime, timedelta

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import func, select
from threads import CommittedFederation, race

from nomination import db
from nomination.api.consultations import CONSULTATION_SCHEMA
from nomination.api.openapi import document
from nomination.audit.chain import verify_chain
from nomination.consultations.operations import (
    check_rules,
    department_codes,
    give_opinion,
    requests_of,
    visible_events,
)
from nomination.engine import available, fire
from nomination.errors import InvalidData, PermissionDenied
from nomination.models import (
    Attachment,
    AuditEvent,
    ConsultationRequest,
    Nomination,
    Organisation,
    User,
)
from nomination.nominations.operations import create_nomination
from nomination.nominations.queries import history
from nomination.permissions import can_download_attachment, can_read_consultation

from factories import NOW, attach_required_files, person_data, recommendation
from test_api_support import Api
from test_web_support import field_block, login

pytest_plugins = ["test_web_support"]

#: Enterprise heads are checked by the tax and market regulators (and HR); everyone in the
#: public sector by HR and the discipline inspectors. HR is named by both rules.
RULES = [
    {
        "when": {"kind": ["individual"], "category": ["enterprise_head"]},
        "departments": ["D-TAX", "D-MKT", "D-HR"],
    },
    {"when": {"ownership": ["public"]}, "departments": ["D-HR", "D-DISC"]},
]
#: The individual form's fields a department is shown (consult = true).
CONSULT_FIELDS = {"name", "id_number", "post", "category", "ownership"}
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def bj(*args: int) -> datetime:
    """A moment given in Beijing time, as UTC."""
    return datetime(*args, tzinfo=UTC) - timedelta(hours=8)


@pytest.fixture
def depts(session, web, create_org, create_user):
    """Three more departments and their people (two for tax); the campaign's rules; committed."""
    hr = session.scalar(select(Organisation).where(Organisation.code == "D-HR"))
    made = {"D-HR": hr}
    for code, name in (("D-TAX", "税务局"), ("D-MKT", "市场监管局"), ("D-DISC", "纪委监委")):
        made[code] = create_org(code, "department", web.federation, name=name)
    web.users["dept-tax"] = create_user("dept-tax", [("department", made["D-TAX"])])
    web.users["dept-tax2"] = create_user("dept-tax2", [("department", made["D-TAX"])])
    web.users["dept-mkt"] = create_user("dept-mkt", [("department", made["D-MKT"])])
    web.users["dept-disc"] = create_user("dept-disc", [("department", made["D-DISC"])])
    web.campaign.consultation_rules = RULES
    session.commit()
    return made


@pytest.fixture
def api(client, session, web, depts) -> Api:
    return Api(client, session, web)


def to_consultation(nomination, tree) -> Nomination:
    """Take a nomination up to consultation at the tests' clock."""
    u = tree.users
    fire(nomination, "recommend", u["unit1"], data=recommendation(), now=NOW)
    fire(nomination, "forward", u["committee1"], data={"comment": "同意"}, now=NOW)
    fire(nomination, "accept", u["federation"], data={"comment": "符合条件"}, now=NOW)
    return nomination


@pytest.fixture
def consulted(session, web, depts, create_nomination_for):
    """A public enterprise head (four departments) and a public front-line worker (two)."""
    head = create_nomination_for("unit1", data=person_data(category="enterprise_head"))
    worker = create_nomination_for(
        "unit1",
        data=person_data(
            name="李红", gender="female", id_number="11010519491231002X", category="frontline"
        ),
    )
    for n in (head, worker):
        to_consultation(n, web)
    session.commit()
    return head, worker


def request_for(session, nomination, code) -> ConsultationRequest:
    return next(r for r in requests_of(session, nomination) if r.department.code == code)


def events(session, nomination, action):
    return session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.entity_type == "nomination",
            AuditEvent.entity_id == str(nomination.id),
            AuditEvent.action == action,
        )
        .order_by(AuditEvent.seq)
    ).all()


def fresh(session, row):
    session.expire_all()
    return session.get(type(row), row.id)


# --- who is consulted ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "ownership", "expected"),
    [
        ("enterprise_head", "public", ["D-TAX", "D-MKT", "D-HR", "D-DISC"]),
        ("enterprise_head", "non_public", ["D-TAX", "D-MKT", "D-HR"]),
        ("frontline", "public", ["D-HR", "D-DISC"]),
        ("frontline", "non_public", []),
    ],
)
def test_the_rules_route_each_nominee_to_its_departments(
    session, web, depts, create_nomination_for, category, ownership, expected
):
    n = create_nomination_for(data=person_data(category=category, ownership=ownership))
    assert department_codes(web.campaign, n) == expected
    to_consultation(n, web)
    assert n.state == "consultation"
    requests = requests_of(session, n)
    # One request per department, each once, even when two rules name it.
    assert [r.department.code for r in requests] == expected
    assert all(r.status == "open" for r in requests)
    assert all(r.due_at == bj(2026, 11, 24, 17) for r in requests)


def test_an_unknown_department_in_the_rules_refuses_the_acceptance(
    session, web, depts, api, create_nomination_for
):
    web.campaign.consultation_rules = [{"when": {}, "departments": ["D-HR", "D-NOPE"]}]
    n = create_nomination_for()
    fire(n, "recommend", web.users["unit1"], data=recommendation(), now=NOW)
    fire(n, "forward", web.users["committee1"], data={"comment": "同意"}, now=NOW)
    session.commit()
    assert check_rules(session, web.federation, web.campaign.consultation_rules) == [
        "第 1 条规则:D-NOPE 不是本总工会的征求意见部门"
    ]
    response = api.post(
        f"/nominations/{n.id}/transitions",
        "federation",
        json={"trigger": "accept", "version": n.version, "comment": "符合条件"},
    )
    assert response.status_code == 422
    assert "D-NOPE" in response.json["error"]["message"]
    assert response.json["error"]["fields"] == {"consultation_rules": ["D-NOPE"]}
    n = fresh(session, n)
    assert n.state == "federation_review"
    assert requests_of(session, n) == []


def test_when_no_department_is_named_the_federation_sends_it_on(
    session, web, depts, web_client, create_nomination_for
):
    n = create_nomination_for(data=person_data(category="frontline", ownership="non_public"))
    to_consultation(n, web)
    session.commit()
    assert requests_of(session, n) == []
    login(web_client, "federation")
    page = web_client.get(f"/nominations/{n.id}").text
    assert 'id="no-departments"' in page
    [option] = [
        o
        for o in available(n, web.users["federation"])
        if o.transition.trigger == "consultation_clear"
    ]
    assert option.allowed
    fired = web_client.post(
        f"/nominations/{n.id}/transitions/consultation_clear",
        data={"version": n.version, "comment": "规则未指定征求意见部门"},
    )
    assert fired.status_code == 302
    assert fresh(session, n).state == "selection"


# --- what a department sees ------------------------------------------------------------------


def test_a_department_sees_only_its_requests_and_only_the_consult_fields(
    session, web, consulted, new_web_client, api
):
    head, worker = consulted
    tax = request_for(session, head, "D-TAX")
    disc_head, disc_worker = (request_for(session, n, "D-DISC") for n in consulted)

    browser = new_web_client()
    login(browser, "dept-disc")
    listing = browser.get("/consultations/")
    assert listing.status_code == 200
    assert 'id="nav-consultations"' in listing.text
    for r in (disc_head, disc_worker):
        assert f'data-request="{r.id}"' in listing.text
    assert f'data-request="{tax.id}"' not in listing.text
    assert 'data-count="open">2<' in listing.text

    page = browser.get(f"/consultations/{disc_worker.id}")
    assert page.status_code == 200
    assert "李红" in page.text and "11010519491231002X" in page.text
    assert "其他一线职工" in page.text  # the category, as its label
    # Nothing of the file the department does not need: phone, deeds, the unit's vote.
    for private in ("13910000000", "攻克管网节能难题", "汉族"):
        assert private not in page.text
    # Another department's request is answered like a missing one; so is the nomination.
    assert browser.get(f"/consultations/{tax.id}").status_code == 404
    assert browser.get("/consultations/999999").status_code == 404
    assert browser.get(f"/nominations/{worker.id}").status_code == 404
    assert not can_read_consultation(web.users["dept-disc"], worker)
    # Only department users get the link.
    unit = new_web_client()
    login(unit, "unit1")
    assert 'id="nav-consultations"' not in unit.get("/").text

    listed = api.get("/consultations", "dept-disc")
    assert listed.status_code == 200
    assert {i["id"] for i in listed.json["items"]} == {disc_head.id, disc_worker.id}
    assert listed.json["counts"] == {"open": 2, "overdue": 0, "answered": 0, "all": 2}
    for item in listed.json["items"]:
        assert set(item["fields"]) == CONSULT_FIELDS
        assert item["unit"]["name"] == "单位一" and item["award_kind"] == "individual"
    one = api.get(f"/consultations/{disc_worker.id}", "dept-disc").json
    assert one["fields"]["name"] == "李红" and one["fields"]["category"] == "frontline"
    assert api.get(f"/consultations/{tax.id}", "dept-disc").status_code == 404
    assert api.get(f"/nominations/{worker.id}", "dept-disc").status_code == 404
    assert api.get(f"/nominations/{worker.id}/history", "dept-disc").status_code == 404
    assert api.get("/consultations", "unit1").json["items"] == []


def test_the_federation_reads_each_opinion_the_unit_only_that_it_is_under_way(
    session, web, consulted, new_web_client, api
):
    head, _ = consulted
    hr = request_for(session, head, "D-HR")
    answered = api.post(f"/consultations/{hr.id}", "dept-hr", json={"opinion": "clear"})
    assert answered.status_code == 200

    federation = new_web_client()
    login(federation, "federation")
    panel = _panel(federation.get(f"/nominations/{head.id}").text)
    assert 'data-in-full="true"' in panel
    for name in ("税务局", "市场监管局", "人社局", "纪委监委"):
        assert name in panel
    assert f'data-consultation="{hr.id}" data-status="clear"' in panel
    assert "dept-hr" in panel  # who answered

    for user in ("unit1", "committee1"):
        browser = new_web_client()
        login(browser, user)
        panel = _panel(browser.get(f"/nominations/{head.id}").text)
        assert 'data-in-full="false"' in panel
        for secret in ("税务局", "人社局", "dept-hr", "data-status"):
            assert secret not in panel
    for user in ("federation", "approver", "auditor"):
        assert can_read_consultation(web.users[user], head)
    for user in ("unit1", "committee1", "dept-hr", "judge1"):
        assert not can_read_consultation(web.users[user], head)

    # The history is filtered the same way (the pages and the API use visible_events).
    everything = history(session, head)
    assert any(e.action == "consultation.opinion" for e in everything)
    assert visible_events(web.users["federation"], head, everything) == everything
    for user in ("unit1", "committee1"):
        shown = visible_events(web.users[user], head, everything)
        assert not any(e.action == "consultation.opinion" for e in shown)
        assert len(shown) == len(everything) - 1


def _panel(html: str) -> str:
    start = html.index('id="consultation"')
    return html[start : html.index("</section>", start)]


# --- opinions ------------------------------------------------------------------------------


def test_an_adverse_opinion_vetoes_with_the_departments_reason(
    session, web, consulted, new_web_client
):
    head, worker = consulted
    tax = request_for(session, head, "D-TAX")
    browser = new_web_client()
    login(browser, "dept-tax")
    # The reason is required with an adverse opinion: said next to the field, nothing lost.
    missing = browser.post(
        f"/consultations/{tax.id}", data={"opinion": "adverse", "reason": " ", "version": 1}
    )
    assert missing.status_code == 422
    assert "提出否决意见须说明理由" in field_block(missing.text, "reason")
    assert fresh(session, tax).status == "open"

    reason = "该企业2025年度存在欠缴税款行为。"
    vetoed = browser.post(
        f"/consultations/{tax.id}",
        data={"opinion": "adverse", "reason": reason, "version": tax.version},
    )
    assert vetoed.status_code == 302
    head = fresh(session, head)
    assert head.state == "rejected"
    assert head.evidence["opinions"][-1]["trigger"] == "veto"
    assert head.evidence["opinions"][-1]["text"] == f"税务局:{reason}"
    statuses = {r.department.code: r.status for r in requests_of(session, head)}
    assert statuses == {"D-TAX": "adverse", "D-MKT": "closed", "D-HR": "closed", "D-DISC": "closed"}
    [opinion] = events(session, head, "consultation.opinion")
    assert opinion.actor_name == "dept-tax" and opinion.comment == reason
    [veto] = events(session, head, "transition.veto")
    assert veto.actor_name == "system" and veto.seq > opinion.seq
    # The other nomination is untouched.
    assert fresh(session, worker).state == "consultation"
    # The closed requests need no answer any more: a late answer is a conflict.
    hr = request_for(session, head, "D-HR")
    hr_browser = new_web_client()
    login(hr_browser, "dept-hr")
    late = hr_browser.post(f"/consultations/{hr.id}", data={"opinion": "clear", "version": 1})
    assert late.status_code == 409
    # The unit reads the rejection's reason in the opinions once it is decided.
    unit = new_web_client()
    login(unit, "unit1")
    assert reason in unit.get(f"/nominations/{head.id}").text
    assert verify_chain(session).ok


def test_the_last_clear_opinion_sends_the_nomination_on(
    session, web, consulted, api, new_web_client
):
    _, worker = consulted
    hr, disc = (request_for(session, worker, c) for c in ("D-HR", "D-DISC"))
    first = api.post(f"/consultations/{hr.id}", "dept-hr", json={"opinion": "clear", "version": 1})
    assert first.status_code == 200
    assert first.json["status"] == "clear"
    assert first.json["nomination_state"]["name"] == "consultation"
    browser = new_web_client()
    login(browser, "dept-disc")
    last = browser.post(f"/consultations/{disc.id}", data={"opinion": "clear", "version": 1})
    assert last.status_code == 302
    worker = fresh(session, worker)
    assert worker.state == "selection"
    opinions = events(session, worker, "consultation.opinion")
    assert [(e.actor_name, e.after["department"], e.after["status"]) for e in opinions] == [
        ("dept-hr", "D-HR", "clear"),
        ("dept-disc", "D-DISC", "clear"),
    ]
    [cleared] = events(session, worker, "transition.consultation_clear")
    assert cleared.actor_name == "system" and cleared.actor_id is None
    assert cleared.seq > opinions[-1].seq
    assert worker.evidence["opinions"][-1]["text"] == "人社局、纪委监委均无异议"
    # Answered requests are listed after the open ones, under "answered".
    answered = browser.get("/consultations/?status=answered").text
    assert f'data-request="{disc.id}" data-status="clear"' in answered
    assert f'data-request="{disc.id}"' not in browser.get("/consultations/").text
    assert verify_chain(session).ok


def test_a_second_answer_is_a_conflict(session, web, consulted, new_web_client, api):
    head, _ = consulted
    tax = request_for(session, head, "D-TAX")
    first, second = new_web_client(), new_web_client()
    login(first, "dept-tax")
    login(second, "dept-tax2")
    # Both opened the request at version 1.
    assert 'name="version" type="hidden" value="1"' in second.get(f"/consultations/{tax.id}").text
    assert (
        first.post(f"/consultations/{tax.id}", data={"opinion": "clear", "version": 1}).status_code
        == 302
    )
    typed = "该企业法人代表存在失信记录。"
    late = second.post(
        f"/consultations/{tax.id}", data={"opinion": "adverse", "reason": typed, "version": 1}
    )
    assert late.status_code == 409
    assert "此征求意见已由他人回复" in late.text
    assert typed in late.text  # what was typed is still on the page
    assert 'data-status="clear"' in late.text  # and the opinion that stands
    tax = fresh(session, tax)
    assert tax.status == "clear" and tax.answered_by.username == "dept-tax"
    assert fresh(session, head).state == "consultation"
    assert len(events(session, head, "consultation.opinion")) == 1

    stale = api.post(
        f"/consultations/{tax.id}", "dept-tax2", json={"opinion": "clear", "version": 1}
    )
    assert stale.status_code == 409
    assert stale.json["error"]["code"] == "conflict"
    assert stale.json["error"]["version"] == tax.version
    again = api.post(f"/consultations/{tax.id}", "dept-tax2", json={"opinion": "clear"})
    assert again.status_code == 409


def test_api_errors_name_the_field(session, web, consulted, api):
    head, _ = consulted
    tax = request_for(session, head, "D-TAX")
    url = f"/consultations/{tax.id}"
    cases = [
        ({"opinion": "maybe"}, "opinion"),
        ({"opinion": "adverse"}, "reason"),
        ({"opinion": "adverse", "reason": "   "}, "reason"),
        ({"opinion": "adverse", "reason": "x" * 1001}, "reason"),
        ({"opinion": 1}, "opinion"),
        ({}, "opinion"),
        ({"opinion": "clear", "version": "1"}, "version"),
        ({"opinion": "clear", "comment": "x"}, "comment"),
    ]
    for body, field in cases:
        response = api.post(url, "dept-tax", json=body)
        assert response.status_code == 422, body
        assert field in response.json["error"]["fields"], (body, response.json)
    assert api.post(url, "dept-tax", data="x", content_type="text/plain").status_code == 400
    assert api.post(url, "dept-hr", json={"opinion": "clear"}).status_code == 404
    assert api.post(url, "unit1", json={"opinion": "clear"}).status_code == 404
    bad_filter = api.get("/consultations?status=late", "dept-tax")
    assert bad_filter.status_code == 422 and "status" in bad_filter.json["error"]["fields"]
    assert fresh(session, tax).status == "open"
    # What the API answers is what the OpenAPI document describes.
    doc = document()
    schema = {**CONSULTATION_SCHEMA, "components": doc["components"]}
    item = api.get(url, "dept-tax").json
    assert list(Draft202012Validator(schema).iter_errors(item)) == []
    listed = api.get("/consultations?status=all", "dept-tax").json
    assert [i["id"] for i in listed["items"]] == [tax.id]
    answered = api.post(url, "dept-tax", json={"opinion": "clear", "version": tax.version}).json
    post_schema = doc["paths"]["/consultations/{request_id}"]["post"]["responses"]["200"]
    body_schema = {
        **post_schema["content"]["application/json"]["schema"],
        "components": doc["components"],
    }
    assert list(Draft202012Validator(body_schema).iter_errors(answered)) == []


def test_overdue_requests_are_flagged_after_their_deadline(
    session, app, web, consulted, new_web_client, api, monkeypatch
):
    head, _ = consulted
    tax = request_for(session, head, "D-TAX")
    assert not tax.overdue(NOW)
    browser = new_web_client()
    login(browser, "dept-tax")
    assert "data-overdue-badge" not in browser.get("/consultations/").text
    assert api.get(f"/consultations/{tax.id}", "dept-tax").json["overdue"] is False

    monkeypatch.setitem(app.config, "FROZEN_TIME", tax.due_at + timedelta(seconds=1))
    listing = browser.get("/consultations/").text
    assert f'data-request="{tax.id}" data-status="open" data-overdue' in listing
    assert "data-overdue-badge" in listing and 'data-count="overdue"' in listing
    assert 'id="overdue-badge"' in browser.get(f"/consultations/{tax.id}").text
    item = api.get(f"/consultations/{tax.id}", "dept-tax").json
    assert item["overdue"] is True
    assert api.get("/consultations", "dept-tax").json["counts"]["overdue"] == 1
    federation = new_web_client()
    login(federation, "federation")
    assert "data-overdue" in _panel(federation.get(f"/nominations/{head.id}").text)
    # An answered request is no longer overdue.
    api.post(f"/consultations/{tax.id}", "dept-tax", json={"opinion": "clear"})
    assert api.get(f"/consultations/{tax.id}", "dept-tax").json["overdue"] is False


# --- files given with an opinion ---------------------------------------------------------


def test_a_file_with_the_opinion_is_checked_by_content_and_kept_from_the_unit(
    session, web, consulted, new_web_client
):
    head, _ = consulted
    tax = request_for(session, head, "D-TAX")
    browser = new_web_client()
    login(browser, "dept-tax")
    typed = "经核查无欠税记录。"
    fake = browser.post(
        f"/consultations/{tax.id}",
        data={
            "opinion": "clear",
            "reason": typed,
            "version": 1,
            "file": (io.BytesIO(b"<html>not a pdf</html>"), "意见.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert fake.status_code == 422
    assert "意见.pdf" in field_block(fake.text, "file")
    assert typed in fake.text
    assert fresh(session, tax).status == "open"
    assert (
        session.scalar(
            select(func.count(Attachment.id)).where(
                Attachment.nomination_id == head.id,
                Attachment.consultation_request_id.is_not(None),
            )
        )
        == 0
    )

    sent = browser.post(
        f"/consultations/{tax.id}",
        data={
            "opinion": "clear",
            "reason": typed,
            "version": 1,
            "file": (io.BytesIO(PDF), "税务局意见.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302
    [attachment] = session.scalars(
        select(Attachment).where(
            Attachment.nomination_id == head.id, Attachment.consultation_request_id.is_not(None)
        )
    ).all()
    assert attachment.consultation_request_id == tax.id
    assert attachment.purpose == "consultation_opinion"
    assert attachment.content_type == "application/pdf"
    [added] = [
        e
        for e in events(session, head, "attachment.add")
        if e.after["purpose"] == "consultation_opinion"
    ]
    assert added.after["consultation_request_id"] == tax.id
    assert added.actor_name == "dept-tax"

    # The department that gave it downloads it from its request.
    page = browser.get(f"/consultations/{tax.id}").text
    assert "税务局意见.pdf" in page
    own = browser.get(f"/consultations/{tax.id}/files/{attachment.id}")
    assert own.status_code == 200 and own.data == PDF
    own.close()
    # Another department does not even learn that the request exists.
    hr = new_web_client()
    login(hr, "dept-hr")
    assert hr.get(f"/consultations/{tax.id}/files/{attachment.id}").status_code == 404
    # The federation reads it on the nomination; the unit and its committee never get it.
    federation = new_web_client()
    login(federation, "federation")
    assert "税务局意见.pdf" in _panel(federation.get(f"/nominations/{head.id}").text)
    got = federation.get(f"/nominations/{head.id}/attachments/{attachment.id}")
    assert got.status_code == 200
    got.close()
    for user in ("unit1", "committee1"):
        other = new_web_client()
        login(other, user)
        assert "税务局意见.pdf" not in other.get(f"/nominations/{head.id}").text
        assert other.get(f"/nominations/{head.id}/attachments/{attachment.id}").status_code == 403
    for user, allowed in [
        ("federation", True),
        ("approver", True),
        ("auditor", True),
        ("dept-tax", True),
        ("dept-tax2", True),
        ("dept-hr", False),
        ("unit1", False),
        ("committee1", False),
    ]:
        assert can_download_attachment(web.users[user], attachment) is allowed, user


def test_opinions_are_refused_to_other_departments_by_the_operation(session, web, consulted):
    head, _ = consulted
    tax = request_for(session, head, "D-TAX")
    with pytest.raises(PermissionDenied):
        give_opinion(session, tax, web.users["dept-hr"], opinion="clear")
    with pytest.raises(InvalidData) as refused:
        give_opinion(session, tax, web.users["dept-tax"], opinion="adverse", reason="")
    assert set(refused.value.fields) == {"reason"}


# --- at once, on committed data ------------------------------------------------------------


def _commit_consultation(app, departments: int, people: int) -> dict:
    """Commit for real a federation whose rules consult ``departments``, ``people`` each."""
    with app.app_context():
        s = db.session
        f = CommittedFederation(s)
        users = f.users
        codes = []
        for d in range(departments):
            department = f.org(f"D{d}", "department", f.fed)
            codes.append(department.code)
            for p in range(people):
                users[f"d{d}p{p}"] = f.user(f"d{d}p{p}", "department", department)
        campaign = f.campaign("征求意见并发")
        campaign.consultation_rules = [{"when": {}, "departments": codes}]
        n = create_nomination(
            s,
            actor=users["unit"],
            campaign=campaign,
            kind="individual",
            unit=f.unit,
            data=person_data(),
        )
        attach_required_files(n, users["unit"])
        fire(n, "recommend", users["unit"], data=recommendation(), now=NOW)
        fire(n, "forward", users["committee"], data={"comment": "同意"}, now=NOW)
        fire(n, "accept", users["federation"], data={"comment": "符合条件"}, now=NOW)
        # Committed for real and seen by the tests that follow: closed, so that none of them
        # takes it for the open campaign they nominate in (its rules would consult D0).
        campaign.status = "closed"
        s.commit()
        ids = {
            "nomination": n.id,
            "requests": [r.id for r in requests_of(s, n)],
            **{role: u.username for role, u in users.items()},
        }
        db.session.remove()
    return ids


def _answer_at_once(app, ids, who: list[tuple[str, int]], opinion: str) -> list[str]:
    """Have each (user, request) of ``who`` answer at the same moment; return the outcomes."""
    turn = iter(who)
    lock = threading.Lock()

    def answer(start, meet):
        with lock:
            username, request_id = next(turn)
        req = db.session.get(ConsultationRequest, request_id)
        actor = db.session.scalar(select(User).where(User.username == username))
        version = req.version  # as the page the user submits from showed it
        db.session.commit()  # end the read, as a request would
        start.wait(timeout=30)
        # Each reads every request of the nomination first (as a page or a listener may); on
        # PostgreSQL both do before either answers, so each sees the other's still open: the
        # opinion must not be judged on that reading.
        seen = requests_of(db.session, req.nomination)
        meet(req.nomination)
        give_opinion(
            db.session, req, actor, opinion=opinion, reason="同一时间回复", version=version, now=NOW
        )
        assert seen  # held until here, as a page or a listener would hold them

    return race(app, answer)


def test_two_people_of_one_department_answer_at_once(app):
    ids = _commit_consultation(app, departments=1, people=2)
    [request_id] = ids["requests"]
    results = _answer_at_once(
        app, ids, [(ids["d0p0"], request_id), (ids["d0p1"], request_id)], "adverse"
    )
    assert sorted(results) == ["conflict", "ok"], results
    with app.app_context():
        n = db.session.get(Nomination, ids["nomination"])
        assert n.state == "rejected"
        assert db.session.get(ConsultationRequest, request_id).version == 2
        assert len(events(db.session, n, "consultation.opinion")) == 1
        assert len(events(db.session, n, "transition.veto")) == 1
        assert verify_chain(db.session).ok
        db.session.remove()


def test_the_last_two_departments_answer_at_once(app):
    ids = _commit_consultation(app, departments=2, people=1)
    first, second = ids["requests"]
    results = _answer_at_once(app, ids, [(ids["d0p0"], first), (ids["d1p0"], second)], "clear")
    assert results == ["ok", "ok"], results
    with app.app_context():
        n = db.session.get(Nomination, ids["nomination"])
        # Neither saw the other's opinion still missing: the second one sent it on.
        assert n.state == "selection"
        assert len(events(db.session, n, "consultation.opinion")) == 2
        assert len(events(db.session, n, "transition.consultation_clear")) == 1
        assert verify_chain(db.session).ok
        db.session.remove()


def test_the_timeline_names_the_opinion_and_the_system_in_the_readers_language(
    session, web, consulted, new_web_client
):
    head, _ = consulted
    tax = request_for(session, head, "D-TAX")
    browser = new_web_client()
    login(browser, "dept-tax")
    vetoed = browser.post(
        f"/consultations/{tax.id}",
        data={"opinion": "adverse", "reason": "该企业存在欠缴税款行为。", "version": tax.version},
    )
    assert vetoed.status_code == 302
    federation = new_web_client()
    login(federation, "federation")
    for language, opinion, system in (("zh", "部门回复意见", "系统"), ("en", "opinion", "System")):
        page = federation.get(f"/nominations/{head.id}", query_string={"lang": language}).text
        timeline = page[page.index('id="timeline"') :]
        assert "consultation.opinion" not in timeline and opinion in timeline
        # The veto was fired by the application itself: named, not its code.
        veto = timeline[
            : timeline.index(">Vetoed by a department" if language == "en" else ">部门一票否决")
        ]
        veto = veto[veto.rindex("<tr") :]
        assert f"<td>{system}</td>" in veto and "<td>system</td>" not in veto
