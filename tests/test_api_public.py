"""The public API: notices show public fields only; objections are filed and followed."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from nomination.engine import apply_due_timers
from nomination.models import Nomination, Objection

from factories import person_data
from test_api_support import OBJECTION, Api


@pytest.fixture
def api(client, session, tree) -> Api:
    return Api(client, session, tree)


@pytest.fixture
def on_notice(api) -> dict:
    return api.walk_to_notice(api.create("unit1"))


def decoded(value: object) -> str:
    """Return ``value`` as JSON text with non-ASCII characters as themselves.

    Flask writes them as \\u escapes, in which a name would never be found.
    """
    return json.dumps(value, ensure_ascii=False)


def test_notice_shows_public_fields_only(api, on_notice, tree):
    api.create("unit2", name="王强")  # a draft: never on the notice board
    response = api.get("/notices")
    assert response.status_code == 200
    items = response.json["items"]
    assert [i["id"] for i in items] == [on_notice["id"]]
    notice = items[0]
    assert notice["fields"]["name"] == "张建国"
    assert notice["unit"] == "单位一"
    assert notice["notice_ends_at"] == on_notice["timer"]["due_at"]
    assert notice["published_at"] == "2026-11-18T02:00:00+00:00"
    assert (notice["position"], notice["sequence"], notice["notice_order"]) == (1, 1, "unit")
    assert notice["objection_contact"] == {"body": "朝阳区总工会劳模办", "phone": "010-65099999"}
    assert "id_number" not in notice["fields"]
    assert "phone" not in notice["fields"]
    text = response.get_data(as_text=True)
    data = person_data()
    for private in (data["id_number"], "13910000000", "8613910000000", data["birth_date"]):
        assert private not in text
    assert "王强" not in text


def test_notice_closes_lazily_when_its_period_ends(api, session, on_notice):
    row = session.get(Nomination, on_notice["id"])
    apply_due_timers(session, row.timer_due_at + timedelta(seconds=1))
    session.commit()
    assert api.get("/notices").json["items"] == []


def test_objection_flow(api, session, on_notice):
    filed = api.post(f"/notices/{on_notice['id']}/objections", json=OBJECTION)
    assert filed.status_code == 201, filed.json
    reference = filed.json["reference"]
    assert filed.json == {"reference": reference, "status": "open", "late": False}
    assert filed.headers["Location"].endswith(f"/api/v1/objections/{reference}")
    stored = session.get(Nomination, on_notice["id"])
    assert stored.state == "objection_review"
    assert session.get(Objection, stored.objections[0].id).objector_name == "赵某某"

    status = api.get(f"/objections/{reference}")
    assert status.status_code == 200
    assert status.json == {"reference": reference, "status": "open", "late": False}
    # Neither the status nor the nomination's history reveals who objected.
    history = api.get(f"/nominations/{on_notice['id']}/history", "federation")
    for response in (status, history):
        text = decoded(response.json)
        assert "赵某某" not in text
        assert "13800138000" not in text
    assert history.json["items"][-1]["action"] == "transition.object"

    # No longer on the board; a second objection joins the review under way.
    again = api.post(f"/notices/{on_notice['id']}/objections", json=OBJECTION)
    assert again.status_code == 201 and again.json["late"] is False
    assert api.get("/notices").json["items"] == []

    n = api.get(f"/nominations/{on_notice['id']}", "federation").json
    n = api.fire(n, "federation", "dismiss_objection", comment="经核查,异议不成立")
    assert n["state"]["name"] == "public_notice"
    assert api.get(f"/objections/{reference}").json["status"] == "unfounded"


def test_objection_is_validated_by_its_form(api, session, on_notice):
    response = api.post(
        f"/notices/{on_notice['id']}/objections",
        json={**OBJECTION, "objector_phone": "12", "facts": "太短"},
    )
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"objector_phone", "facts"}
    missing = api.post(f"/notices/{on_notice['id']}/objections", json={"facts": OBJECTION["facts"]})
    assert set(missing.json["error"]["fields"]) == {
        "objector_name",
        "objector_phone",
        "objector_address",
    }
    assert session.get(Nomination, on_notice["id"]).state == "public_notice"
    assert session.scalar(select(func.count(Objection.id))) == 0


def test_objection_against_a_nomination_not_on_notice_is_404(api):
    draft = api.create("unit1")
    response = api.post(f"/notices/{draft['id']}/objections", json=OBJECTION)
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    assert api.post("/notices/999999/objections", json=OBJECTION).status_code == 404


def test_objection_body_must_be_json(api, on_notice):
    response = api.post(
        f"/notices/{on_notice['id']}/objections", data="facts=x", content_type="text/plain"
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"


def test_unknown_objection_reference_is_404(api):
    response = api.get("/objections/YY-000000000000")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


@pytest.mark.parametrize("user", ["unit1", "committee1"])
def test_units_and_committees_never_learn_who_objected(api, on_notice, user):
    filed = api.post(f"/notices/{on_notice['id']}/objections", json=OBJECTION)
    assert filed.status_code == 201, filed.json
    secrets = (
        OBJECTION["objector_name"],
        "13800138000",
        OBJECTION["objector_address"],
        OBJECTION["facts"],
        filed.json["reference"],
    )
    detail = api.get(f"/nominations/{on_notice['id']}", user)
    history = api.get(f"/nominations/{on_notice['id']}/history", user)
    assert detail.status_code == history.status_code == 200
    for response in (detail, history):
        text = decoded(response.json)
        for secret in secrets:
            assert secret not in text
    # That there is an objection, and its status, is all they learn.
    assert detail.json["objections"] == [{"status": "open", "late": False}]
    assert history.json["items"][-1]["action"] == "transition.object"


def test_the_federation_reviewer_reads_the_objection_in_full(api, on_notice):
    filed = api.post(f"/notices/{on_notice['id']}/objections", json=OBJECTION).json
    n = api.get(f"/nominations/{on_notice['id']}", "federation").json
    [objection] = n["objections"]
    assert objection["status"] == "open"
    assert objection["objector"] == {
        "kind": "person",
        "name": OBJECTION["objector_name"],
        "phone": "+8613800138000",
        "address": OBJECTION["objector_address"],
    }
    assert objection["facts"] == OBJECTION["facts"]
    assert objection["conclusion"] is None
    assert objection["received_at"]
    assert filed["reference"] not in decoded(n)
    assert {"dismiss_objection", "uphold_objection"} <= {t["trigger"] for t in n["transitions"]}

    n = api.fire(n, "federation", "uphold_objection", reason="经核查,反映情况属实")
    assert n["state"]["name"] == "rejected"
    [objection] = n["objections"]
    assert (objection["status"], objection["conclusion"]) == ("founded", "经核查,反映情况属实")
    assert api.get(f"/nominations/{on_notice['id']}", "unit1").json["objections"] == [
        {"status": "founded", "late": False}
    ]
