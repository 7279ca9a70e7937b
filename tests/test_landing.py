"""Each role lands on its own work: the workbench's "my work" panel and the navigation badges."""

from __future__ import annotations

import re

import pytest

from nomination.engine import fire
from nomination.models import ConsultationRequest
from nomination.selection.operations import cast_vote, open_round, recuse
from nomination.selection.queries import pending_ballots

from factories import NOW, person_data, recommendation
from test_web_support import login as _login

pytest_plugins = ["test_web_support"]


def _to_selection(session, tree, create_nomination_for, name):
    n = create_nomination_for("unit1", data=person_data(name=name))
    fire(n, "recommend", tree.users["unit1"], data=recommendation(), now=NOW)
    fire(n, "forward", tree.users["committee1"], data={"comment": "同意"}, now=NOW)
    fire(n, "accept", tree.users["federation"], data={"comment": "符合条件"}, now=NOW)
    fire(n, "consultation_clear", tree.users["federation"], data={"comment": "无异议"}, now=NOW)
    assert n.state == "selection"
    return n


@pytest.fixture
def work(session, tree, create_nomination_for, create_user):
    """A draft and a returned nomination for unit1; one in review for committee1; an open
    opinion request for the HR department; a round where judge1 has two ballots to cast."""
    tree.campaign.consultation_rules = [{"when": {}, "departments": ["D-HR"]}]
    u = tree.users
    create_nomination_for("unit1", data=person_data(name="草稿人"))
    returned = create_nomination_for("unit1", data=person_data(name="退回人"))
    fire(returned, "recommend", u["unit1"], data=recommendation())
    fire(returned, "return_to_unit", u["committee1"], data={"reason": "请补充"})
    review = create_nomination_for("unit2", data=person_data(name="审核人"))
    fire(review, "recommend", u["unit2"], data=recommendation())
    consulted = create_nomination_for("unit3", data=person_data(name="征求人"))
    fire(consulted, "recommend", u["unit3"], data=recommendation())
    fire(consulted, "forward", u["committee2"], data={"comment": "同意"})
    fire(consulted, "accept", u["federation"], data={"comment": "符合条件"})
    assert consulted.state == "consultation"
    tree.campaign.consultation_rules = []
    chosen = [_to_selection(session, tree, create_nomination_for, n) for n in ("甲", "乙")]
    other = create_user("judge2", [("judge", tree.federation)])
    round_ = open_round(
        session,
        tree.campaign,
        "individual",
        u["federation"],
        judge_ids=[u["judge1"].id, other.id],
        chair_id=other.id,
        places=1,
        nomination_ids=[n.id for n in chosen],
        now=NOW,
    )
    session.commit()
    return {"round": round_, "chosen": chosen, "returned": returned, "review": review}


def login(client, username: str) -> None:
    """Log ``client`` in as ``username`` (out of any other account first)."""
    client.post("/logout")
    _login(client, username)


def _card(page: str, role: str) -> str:
    """Return the HTML of the "my work" card of ``role``."""
    match = re.search(rf'<section class="card[^"]*" data-role="{role}".*?</section>', page, re.S)
    assert match, f"no card for {role}"
    return match.group(0)


def _count(page: str, role: str) -> int:
    return int(re.search(r'data-count="(\d+)"', _card(page, role)).group(1))


@pytest.mark.parametrize(
    ("username", "role", "count", "link"),
    [
        ("unit1", "unit_submitter", 2, "/?state=draft#queue"),
        ("committee1", "committee_reviewer", 1, "/?state=committee_review#queue"),
        ("dept-hr", "department", 1, "/consultations/?status=open"),
        ("judge1", "judge", 2, "/selection-rounds/"),
    ],
)
def test_each_role_lands_on_its_own_work(web_client, work, username, role, count, link):
    login(web_client, username)
    page = web_client.get("/").text
    assert _count(page, role) == count
    assert link in _card(page, role)
    # The work comes first: before the new-nomination buttons, the filters and the lists.
    assert page.index('id="my-work"') < page.index('id="all"' if 'id="all"' in page else "</main>")


def test_departments_and_judges_see_no_empty_nomination_queue(web_client, work):
    for username in ("dept-hr", "judge1"):
        login(web_client, username)
        page = web_client.get("/").text
        assert 'id="queue"' not in page and "我的待办" not in page
    # A department reads no nomination here: no empty filters and list either (a judge reads
    # the nominations of the selection, listed under the work).
    login(web_client, "dept-hr")
    page = web_client.get("/").text
    assert 'id="filters"' not in page and 'id="all"' not in page
    login(web_client, "unit1")
    assert 'id="queue"' in web_client.get("/").text


def test_roles_without_a_queue_get_their_tools(web_client, work):
    login(web_client, "auditor")
    assert 'href="/audit/"' in _card(web_client.get("/").text, "auditor")
    login(web_client, "admin")
    assert 'data-work="admin"' in _card(web_client.get("/").text, "admin")


def test_the_navigation_badges_count_the_work_and_lead_to_it(web_client, work):
    login(web_client, "dept-hr")
    page = web_client.get("/notifications/").text
    nav = re.search(r'id="nav-consultations">.*?</a>', page, re.S).group(0)
    assert 'data-work-badge="consultations">1<' in nav
    assert 'href="/consultations/?status=open"' in page
    login(web_client, "judge1")
    page = web_client.get("/notifications/").text
    assert 'data-work-badge="selection">2<' in page
    login(web_client, "unit1")
    assert 'data-work-badge="dashboard">2<' in web_client.get("/notifications/").text
    login(web_client, "auditor")
    assert "data-work-badge" not in web_client.get("/notifications/").text


def test_a_ballot_cast_or_stood_aside_waits_no_more(session, tree, work):
    judge, (first, second) = tree.users["judge1"], work["chosen"]
    round_ = work["round"]

    def left() -> list[tuple[object, int]]:
        return [(b.round, b.left) for b in pending_ballots(session, judge)]

    assert left() == [(round_, 2)]
    cast_vote(session, round_, judge, nomination_id=first.id, vote="yes", now=NOW)
    assert left() == [(round_, 1)]
    recuse(session, round_, judge, nomination_id=second.id, reason="曾共事", now=NOW)
    # The round stays listed while open (a vote may change until it closes); none is left.
    assert left() == [(round_, 0)]
    assert pending_ballots(session, tree.users["unit1"]) == []


def test_the_department_queue_follows_the_request(session, web_client, work):
    request = session.query(ConsultationRequest).one()
    request.status = "clear"
    session.commit()
    login(web_client, "dept-hr")
    page = web_client.get("/").text
    assert _count(page, "department") == 0 and "data-idle" in _card(page, "department")
    assert "data-work-badge" not in page
