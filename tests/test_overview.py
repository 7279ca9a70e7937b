"""The campaign overview: counts by state and committee, charts, lateness, who may see it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from nomination.engine import fire
from nomination.models import ConsultationRequest, SelectionRound
from nomination.nominations.operations import create_nomination
from nomination.web.charts import Bar, horizontal_bars

from factories import person_data, recommendation
from test_web_support import login

pytestmark = pytest.mark.usefixtures("web")
pytest_plugins = ["test_web_support"]

#: A committee whose name would run as script if it were not escaped.
SCRIPT_NAME = "<script>alert('工委')</script>"


@pytest.fixture
def made(session, web, create_nomination_for):
    """Committee1: two in review, one draft; committee2: one returned; consultation by HR."""
    web.campaign.consultation_rules = [{"when": {}, "departments": ["D-HR"]}]
    u = web.users
    named = {}
    for user, name in (("unit1", "甲工人"), ("unit2", "乙工人")):
        named[name] = create_nomination_for(user, data=person_data(name=name))
        fire(named[name], "recommend", u[user], data=recommendation())
    named["丙工人"] = create_nomination_for("unit1", data=person_data(name="丙工人"))
    returned = named["丁工人"] = create_nomination_for("unit3", data=person_data(name="丁工人"))
    fire(returned, "recommend", u["unit3"], data=recommendation())
    fire(returned, "return_to_unit", u["committee2"], data={"reason": "请补充材料"})
    session.commit()
    return named


@pytest.fixture
def campaign(web, made):
    """The campaign of ``made``."""
    return web.campaign


def overview(client, campaign_id: int, **query):
    """Ask for the campaign's overview."""
    return client.get(f"/campaigns/{campaign_id}/overview", query_string=query)


def cells(html: str, committee: str) -> dict[str, str]:
    """Return the counts of one row of the table (a committee's id, or "total"), by state."""
    start = html.index(f'data-committee="{committee}"')
    row = html[start : html.index("</tr>", start)]
    counts = dict(re.findall(r'data-state="(\w+)">(\d*)</td>', row))
    counts["total"] = re.search(r"data-row-total>(\d+)</td>", row)[1]
    return counts


def test_counts_by_state_and_committee_with_totals_and_charts(web_client, web, campaign):
    login(web_client, "federation")
    response = overview(web_client, campaign.id)
    assert response.status_code == 200
    page = response.text
    first = cells(page, str(web.committee1.id))
    assert first == {"committee_review": "2", "draft": "1", "returned": "", "total": "3"}
    second = cells(page, str(web.committee2.id))
    assert second == {"committee_review": "", "draft": "", "returned": "1", "total": "1"}
    assert cells(page, "total") == {
        "committee_review": "2",
        "draft": "1",
        "returned": "1",
        "total": "4",
    }
    assert re.search(r"data-total>4</div>", page)
    # Two charts drawn on the server, one bar per state and one per committee.
    states = page[page.index('id="states-chart"') :]
    states = states[: states.index("</svg>")]
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in states and 'role="img"' in states
    assert states.count("<rect") == 3
    assert "<title>工委审核: 2</title>" in states
    committees = page[page.index('id="committees-chart"') :]
    committees = committees[: committees.index("</svg>")]
    assert "<title>第一工委: 3</title>" in committees and "<title>第二工委: 1</title>" in committees
    assert f'href="/campaigns/{campaign.id}/composition"' in page
    # One award kind only.
    team = overview(web_client, campaign.id, kind="team").text
    assert "没有逾期事项" in team and "尚无推荐" in team


def test_labels_are_escaped_in_the_table_and_the_charts(
    session, web, web_client, campaign, create_org, create_user
):
    committee = create_org("C-X", "committee", web.federation, name=SCRIPT_NAME)
    unit = create_org("U-X", "unit", committee, name="单位四")
    submitter = create_user("unit4", [("unit_submitter", unit)])
    create_nomination(
        session,
        actor=submitter,
        campaign=campaign,
        kind="individual",
        unit=unit,
        data=person_data(name="戊工人"),
    )
    session.commit()
    login(web_client, "federation")
    page = overview(web_client, campaign.id).text
    assert "<script>alert" not in page
    escaped = "&lt;script&gt;alert(&#39;工委&#39;)&lt;/script&gt;"
    table = page[page.index('id="by-committee"') : page.index('id="states-chart"')]
    assert escaped in table
    chart = page[page.index('id="committees-chart"') :]
    chart = chart[: chart.index("</svg>")]
    assert f"<title>{escaped}: 1</title>" in chart
    assert "&lt;script&gt;alert(" in chart  # the label drawn beside the bar, cut but escaped


def test_the_chart_module_escapes_what_it_is_given():
    svg = str(horizontal_bars([Bar('<b x="1">&', 2, "nope")], title="<i>", chart_id='a"b'))
    assert "<b " not in svg and "<i>" not in svg
    assert "&lt;b x=&#34;1&#34;&gt;&amp;: 2" in svg
    assert 'id="a&#34;b"' in svg
    assert 'fill="#6c757d"' in svg  # an unknown style is grey, never passed through


def test_overdue_consultation_and_rounds(
    session, app, web, web_client, campaign, made, monkeypatch
):
    u = web.users
    n = made["甲工人"]
    fire(n, "forward", u["committee1"], data={"comment": "同意"})
    fire(n, "accept", u["federation"], data={"comment": "符合条件"})
    session.add(
        SelectionRound(
            campaign_id=campaign.id,
            kind="individual",
            number=1,
            status="open",
            rule="1/2",
            places=1,
            chair_id=u["judge1"].id,
            opened_by_id=u["federation"].id,
        )
    )
    session.commit()
    request = session.scalar(
        select(ConsultationRequest).where(ConsultationRequest.nomination_id == n.id)
    )
    login(web_client, "federation")
    page = overview(web_client, campaign.id).text
    assert requests(page) == {"open": 1, "overdue": 0, "clear": 0, "adverse": 0, "closed": 0}
    assert rounds(page) == {"open": 1, "awaiting_chair": 0, "closed": 0}
    assert "没有逾期事项" in page

    monkeypatch.setitem(app.config, "FROZEN_TIME", request.due_at + timedelta(hours=1))
    page = overview(web_client, campaign.id).text
    assert requests(page)["overdue"] == 1
    late = page[page.index('id="overdue"') :]
    late = late[: late.index("</section>")]
    assert f'href="/nominations/{n.id}"' in late and "甲工人" in late
    assert re.search(r"data-overdue-total>1</div>", page)


def requests(html: str) -> dict[str, int]:
    """Return the consultation progress: opinion requests by status, and the overdue."""
    return {k: int(v) for k, v in re.findall(r'data-requests="(\w+)">.*?(\d+)</td>', html, re.S)}


def rounds(html: str) -> dict[str, int]:
    """Return the selection rounds by status."""
    return {k: int(v) for k, v in re.findall(r'data-rounds="(\w+)">.*?(\d+)</td>', html, re.S)}


@pytest.mark.parametrize("username", ["federation", "approver", "auditor", "admin"])
def test_the_federation_sees_the_whole_campaign(web_client, web, campaign, username):
    login(web_client, username)
    page = overview(web_client, campaign.id).text
    assert f'data-committee="{web.committee1.id}"' in page
    assert f'data-committee="{web.committee2.id}"' in page
    assert 'id="scope-note"' not in page


def test_a_committee_sees_its_own_part_only(web_client, web, campaign):
    login(web_client, "committee1")
    response = overview(web_client, campaign.id)
    assert response.status_code == 200
    page = response.text
    assert 'id="scope-note"' in page
    assert f'data-committee="{web.committee1.id}"' in page
    assert f'data-committee="{web.committee2.id}"' not in page
    assert "第二工委" not in page and "丁工人" not in page
    assert cells(page, "total")["total"] == "3"


@pytest.mark.parametrize("username", ["unit1", "judge1", "dept-hr"])
def test_others_are_refused(web_client, campaign, username):
    login(web_client, username)
    assert overview(web_client, campaign.id).status_code == 403


def test_the_anonymous_log_in_first_and_a_missing_campaign_is_not_found(web_client, campaign):
    assert overview(web_client, campaign.id).status_code == 302  # to the login page
    login(web_client, "federation")
    assert overview(web_client, 999999).status_code == 404


def test_the_dashboard_links_to_the_overview_for_its_readers(new_web_client, campaign):
    for username, linked in (("federation", True), ("committee1", True), ("unit1", False)):
        client = new_web_client()
        login(client, username)
        page = client.get("/").text
        assert (f'href="/campaigns/{campaign.id}/overview"' in page) is linked, username
