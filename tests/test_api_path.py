"""The whole path of a nomination to ``approved`` through the JSON API only, role by role."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from nomination.engine import apply_due_timers
from nomination.models import AuditEvent, HonourRecord, Nomination

from factories import DECIDED_AT, recommendation
from tampering import remove_protection
from test_api_support import Api


@pytest.fixture
def api(client, session, tree) -> Api:
    return Api(client, session, tree)


def test_me_lists_roles_with_organisations(api):
    response = api.get("/me", "committee1")
    assert response.status_code == 200
    assert response.json["username"] == "committee1"
    assert response.json["roles"] == [
        {
            "role": "committee_reviewer",
            "organisation": {
                "id": response.json["roles"][0]["organisation"]["id"],
                "code": "C1",
                "name": "第一工委",
                "name_en": "第一工委",
                "kind": "committee",
            },
        }
    ]


def test_campaigns_describe_forms_and_states(api, tree):
    listed = api.get("/campaigns", "unit1")
    assert listed.status_code == 200
    assert [c["id"] for c in listed.json["items"]] == [tree.campaign.id]
    detail = api.get(f"/campaigns/{tree.campaign.id}", "unit1").json
    assert detail == listed.json["items"][0]
    awards = {a["kind"]: a for a in detail["awards"]}
    assert set(awards) == {"individual", "unit", "team"}
    fields = {f["name"]: f for f in awards["individual"]["fields"]}
    assert fields["id_number"]["type"] == "id_number"
    assert fields["id_number"]["required"] is True
    assert fields["name"]["label"]["zh"]
    assert fields["summary"]["max_length"] > 0
    assert {"value": "male", "label": {"zh": "男", "en": "Male"}} in fields["gender"]["choices"]
    states = {s["name"]: s for s in awards["individual"]["states"]}
    assert states["draft"]["editable"] is True
    assert states["approved"]["terminal"] is True
    assert states["public_notice"]["label"]["zh"] == "公示中"
    assert api.get("/campaigns/999999", "unit1").status_code == 404


def test_whole_path_to_approved(clock, api, session, tree):
    created = api.create("unit1")
    assert created["state"]["name"] == "draft"
    assert created["unit"]["code"] == "U1"
    nomination_id = created["id"]

    # The unit sees what it may do now; the committee's and federation's triggers are absent.
    triggers = {t["trigger"]: t for t in created["transitions"]}
    assert set(triggers) == {"recommend", "withdraw"}
    assert triggers["recommend"]["allowed"] is True
    assert triggers["recommend"]["dest"] == "committee_review"
    assert "votes_for" in {f["name"] for f in triggers["recommend"]["fields"]}

    n = api.fire(created, "unit1", "recommend", **recommendation())
    assert n["state"] == {
        "name": "committee_review",
        "label": {"zh": "工委审核", "en": "Working-committee review"},
    }
    assert n["version"] > created["version"]
    assert n["evidence"]["unit_recommendation"]["votes_for"] == 110
    # The unit has nothing left to fire; the committee has.
    assert n["transitions"] == []
    seen_by_committee = api.get(f"/nominations/{nomination_id}", "committee1").json
    assert "forward" in {t["trigger"] for t in seen_by_committee["transitions"]}

    n = api.fire(n, "committee1", "forward", comment="同意推荐")
    assert n["state"]["name"] == "federation_review"
    n = api.fire(n, "federation", "accept", comment="符合条件")
    assert n["state"]["name"] == "consultation"
    n = api.fire(n, "federation", "consultation_clear", comment="各部门无异议")
    assert n["state"]["name"] == "selection"
    n = api.fire(n, "federation", "select", comment="评审通过")
    assert n["state"]["name"] == "public_notice"
    assert n["timer"]["trigger"] == "close_notice"

    # The notice period ends: the tick (or a lazy read) closes it.
    row = session.get(Nomination, nomination_id)
    assert apply_due_timers(session, row.timer_due_at - timedelta(seconds=1)) == []
    assert apply_due_timers(session, row.timer_due_at + timedelta(minutes=1)) == [row]
    session.commit()

    n = api.get(f"/nominations/{nomination_id}", "approver").json
    assert n["state"]["name"] == "final_approval"
    clock(DECIDED_AT)  # the decision follows the notice
    n = api.fire(
        n,
        "approver",
        "approve",
        decision_number="京工发〔2026〕12号",
        decision_date="2026-11-27",
        comment="同意表彰",
    )
    assert n["state"]["name"] == "approved"
    assert n["decision_number"] == "京工发〔2026〕12号"
    assert n["decision_date"] == "2026-11-27"
    assert n["transitions"] == []

    record = session.scalar(select(HonourRecord).where(HonourRecord.nomination_id == nomination_id))
    assert record is not None
    assert record.holder_name == "张建国"

    history = api.get(f"/nominations/{nomination_id}/history", "unit1")
    assert history.status_code == 200
    events = history.json["items"]
    assert [e["action"] for e in events] == [
        "nomination.create",
        # The files the definition requires, uploaded before recommending.
        "attachment.add",
        "attachment.add",
        "attachment.add",
        "transition.recommend",
        "transition.forward",
        "transition.accept",
        "transition.consultation_clear",
        "transition.select",
        "transition.close_notice",
        "transition.approve",
    ]
    assert [e["actor"] for e in events] == [
        "unit1",
        "unit1",
        "unit1",
        "unit1",
        "unit1",
        "committee1",
        "federation",
        "federation",
        "federation",
        "system",
        "approver",
    ]
    assert events[5]["role"] == "committee_reviewer"
    assert events[5]["comment"] == "同意推荐"
    assert events[4]["before"]["state"] == "draft"
    assert events[4]["after"]["state"] == "committee_review"
    assert all(len(e["hash"]) == 64 for e in events)
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    assert events[-1]["time"].endswith("+00:00")

    verified = api.get("/audit/verify", "auditor")
    assert verified.status_code == 200
    assert verified.json["ok"] is True
    assert verified.json["checked"] >= len(events)
    assert api.get("/audit/verify", "admin").json["ok"] is True


def test_verify_reports_a_tampered_chain(api, session, tree):
    created = api.create("unit1")
    event_seq = api.get(f"/nominations/{created['id']}/history", "unit1").json["items"][0]["seq"]
    remove_protection(session)  # as someone with the database owner's access would
    session.get(AuditEvent, event_seq).comment = "altered afterwards"
    session.commit()
    verified = api.get("/audit/verify", "auditor").json
    assert verified["ok"] is False
    assert verified["first_bad_seq"] == event_seq
