"""Lists are scoped to the caller: a unit never sees another unit's rows, not even in counts."""

from __future__ import annotations

from datetime import date

import pytest

from nomination.actors import SYSTEM
from nomination.administration.campaigns import create_campaign
from nomination.engine import fire
from nomination.models import Nomination
from nomination.nominations.operations import create_nomination
from nomination.selection.operations import open_round

from factories import attach_required_files, person_data, recommendation
from test_api_support import Api


@pytest.fixture
def api(client, session, tree) -> Api:
    return Api(client, session, tree)


@pytest.fixture
def spread(api) -> dict[str, list[int]]:
    """Two nominations of unit1 (one recommended), one of unit2, one unit award of unit3."""
    first = api.create("unit1")
    api.fire(first, "unit1", "recommend", **recommendation())
    second = api.create("unit1", name="李秀英", gender="female", id_number="11010519491231002X")
    other = api.create("unit2", name="王强")
    far = api.create("unit3", kind="unit", data={"full_name": "北京第三机床厂"})
    return {
        "unit1": [second["id"], first["id"]],
        "unit2": [other["id"]],
        "unit3": [far["id"]],
    }


def listing(api, user, query=""):
    response = api.get(f"/nominations{query}", user)
    assert response.status_code == 200, response.json
    return response.json


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("unit1", ["unit1"]),
        ("unit2", ["unit2"]),
        ("unit3", ["unit3"]),
        ("committee1", ["unit1", "unit2"]),
        ("committee2", ["unit3"]),
        ("federation", ["unit1", "unit2", "unit3"]),
        ("auditor", ["unit1", "unit2", "unit3"]),
    ],
)
def test_each_caller_lists_only_their_scope(api, spread, user, expected):
    body = listing(api, user)
    ids = sorted(i for unit in expected for i in spread[unit])
    assert sorted(item["id"] for item in body["items"]) == ids
    assert body["total"] == len(ids)


def test_a_unit_never_counts_another_units_rows(api, spread):
    body = listing(api, "unit2", "?state=committee_review")
    assert body["items"] == []
    assert body["total"] == 0
    # unit1's recommended nomination is in that state; unit1 and its committee see it.
    assert listing(api, "unit1", "?state=committee_review")["total"] == 1
    assert listing(api, "committee1", "?state=committee_review")["total"] == 1
    assert listing(api, "unit2", "?state=draft")["total"] == 1


@pytest.fixture
def other_federation(session, create_org, create_user):
    """A second federation, its own campaign and a nomination of it in selection."""
    fed = create_org("F2", "federation", name="另一区总工会")
    committee = create_org("F2C", "committee", fed, name="另一工委")
    unit = create_org("F2U", "unit", committee, name="另一单位")
    users = {
        "unit": create_user("f2-unit", [("unit_submitter", unit)]),
        "committee": create_user("f2-committee", [("committee_reviewer", committee)]),
        "federation": create_user("f2-federation", [("federation_reviewer", fed)]),
    }
    campaign = create_campaign(
        session,
        actor=SYSTEM,
        year=2026,
        name="另一区2026年评选",
        federation=fed,
        nomination_deadline=date(2026, 12, 31),
        awards={"individual": ("首都劳动奖章", "Capital Labour Medal")},
    )
    n = create_nomination(
        session,
        actor=users["unit"],
        campaign=campaign,
        kind="individual",
        unit=unit,
        data=person_data(name="外区人"),
    )
    attach_required_files(n, users["unit"])
    walk(n, "selection", users["unit"], users["committee"], users["federation"])
    session.commit()
    return n


def walk(nomination, state, unit_user, committee, federation):
    """Fire the main path until ``nomination`` is in ``state``."""
    path = [
        ("recommend", unit_user, recommendation()),
        ("forward", committee, {"comment": "同意"}),
        ("accept", federation, {"comment": "符合条件"}),
        ("consultation_clear", federation, {"comment": "各部门无异议"}),
    ]
    for trigger, actor, data in path:
        if nomination.state == state:
            break
        fire(nomination, trigger, actor, data=data)
    assert nomination.state == state


def test_stage_readers_see_only_their_stage(api, spread, session, tree, other_federation):
    # Nothing of the spread needs them: drafts and a nomination awaiting its committee.
    in_consultation = api.create("unit2", name="孙丽")
    in_selection = api.create("unit1", name="周强")
    u = tree.users
    reviewers = (u["committee1"], u["federation"])
    walk(session.get(Nomination, in_consultation["id"]), "consultation", u["unit2"], *reviewers)
    walk(session.get(Nomination, in_selection["id"]), "selection", u["unit1"], *reviewers)
    session.commit()
    # Not in a round yet: a judge reads nothing of it.
    assert listing(api, "judge1")["total"] == 0
    assert api.get(f"/nominations/{in_selection['id']}", "judge1").status_code == 404
    open_round(
        session,
        tree.campaign,
        "individual",
        u["federation"],
        judge_ids=[u["judge1"].id],
        chair_id=u["judge1"].id,
        nomination_ids=[in_selection["id"]],
    )
    session.commit()

    judged = listing(api, "judge1")
    assert [item["id"] for item in judged["items"]] == [in_selection["id"]]
    assert judged["total"] == 1
    # A department reads its opinion requests (/consultations), never the nominations.
    consulted = listing(api, "dept-hr")
    assert consulted["items"] == []
    assert consulted["total"] == 0
    # A judge reads the nomination of the selection stage, and not another stage's.
    assert api.get(f"/nominations/{in_selection['id']}", "judge1").status_code == 200
    assert api.get(f"/nominations/{in_consultation['id']}", "judge1").status_code == 404
    assert api.get(f"/nominations/{in_consultation['id']}", "dept-hr").status_code == 404
    assert api.get(f"/nominations/{in_selection['id']}", "dept-hr").status_code == 404
    # Another federation's selection is not theirs to judge.
    assert other_federation.id not in {item["id"] for item in judged["items"]}
    assert api.get(f"/nominations/{other_federation.id}", "judge1").status_code == 404


def test_filters_and_pagination(api, spread, tree):
    assert listing(api, "federation", "?kind=unit")["total"] == 1
    assert listing(api, "federation", "?kind=individual")["total"] == 3
    assert listing(api, "federation", f"?campaign_id={tree.campaign.id}")["total"] == 4
    assert listing(api, "federation", f"?campaign_id={tree.campaign.id + 1}")["total"] == 0

    page1 = listing(api, "unit1", "?limit=1")
    page2 = listing(api, "unit1", "?limit=1&offset=1")
    page3 = listing(api, "unit1", "?limit=1&offset=2")
    assert (page1["total"], page2["total"], page3["total"]) == (2, 2, 2)
    assert (page1["limit"], page2["offset"]) == (1, 1)
    assert len(page1["items"]) == len(page2["items"]) == 1
    assert page3["items"] == []
    # Newest first, and the pages do not overlap.
    assert [page1["items"][0]["id"], page2["items"][0]["id"]] == spread["unit1"]


def test_list_items_are_summaries(api, spread):
    item = listing(api, "unit2")["items"][0]
    assert item["unit"]["code"] == "U2"
    assert item["nominee_name"] == "王强"
    assert item["state"]["name"] == "draft"
    assert "data" not in item
