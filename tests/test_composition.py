"""The composition panel: shares by category against the campaign's targets, scoped."""

from __future__ import annotations

import pytest

from nomination.engine import fire

from factories import person_data, recommendation
from test_web_support import login

pytest_plugins = ["test_web_support"]


@pytest.fixture
def recommended(session, tree, create_nomination_for):
    """Four recommended nominees (three in committee 1, one in committee 2) and a draft."""
    tree.campaign.composition = {
        "front_line": {"min": 55},
        "leaders": {"max": 10},
        "women": {"min": 30},
        "non_public": {"min": 20},
    }
    people = [
        ("unit1", person_data(name="甲", category="industrial_worker")),
        ("unit1", person_data(name="乙", category="enterprise_head", ownership="non_public")),
        ("unit2", person_data(name="丙", category="science_education", gender="female",
                              id_number="110105194912310062")),
        ("unit3", person_data(name="丁", category="technical", migrant_worker=True)),
    ]  # fmt: skip
    for user, data in people:
        n = create_nomination_for(user, data=data)
        fire(n, "recommend", tree.users[user], data=recommendation())
    create_nomination_for("unit2", data=person_data(name="草稿", category="cadre"))
    session.commit()
    return tree


def shares(html: str, panel: str) -> dict[str, tuple[str, str]]:
    """Return {measure: (share, status)} of one panel of the page."""
    block = html[html.index(f'data-panel="{panel}"') :]
    block = block[: block.index("</section>")]
    out = {}
    for part in block.split('data-measure="')[1:]:
        name = part[: part.index('"')]
        status = part.split('data-status="')[1].split('"')[0]
        share = part.split('class="text-end">')[2].split("<")[0]
        out[name] = (share, status)
    return out


def test_the_federation_sees_the_whole_and_each_committee(web_client, recommended):
    login(web_client, "federation")
    page = web_client.get(f"/campaigns/{recommended.campaign.id}/composition")
    assert page.status_code == 200
    whole = shares(page.text, "朝阳区总工会")
    assert whole["front_line"] == ("50.0%", "below")  # 甲 and 丁 of four
    assert whole["leaders"] == ("25.0%", "above")
    assert whole["women"] == ("25.0%", "below")
    assert whole["non_public"] == ("25.0%", "ok")
    assert whole["migrant_workers"] == ("25.0%", "none")
    first = shares(page.text, "第一工委")
    assert first["front_line"] == ("33.3%", "below") and first["women"] == ("33.3%", "ok")
    assert shares(page.text, "第二工委")["front_line"] == ("100.0%", "ok")


def test_a_committee_sees_only_its_own(web_client, recommended):
    login(web_client, "committee1")
    page = web_client.get(f"/campaigns/{recommended.campaign.id}/composition").text
    assert 'data-panel="第一工委"' in page
    assert 'data-panel="朝阳区总工会"' not in page and 'data-panel="第二工委"' not in page
    dashboard = web_client.get("/").text
    assert f"/campaigns/{recommended.campaign.id}/composition" in dashboard


def test_units_do_not_see_it(web_client, recommended):
    login(web_client, "unit1")
    assert web_client.get(f"/campaigns/{recommended.campaign.id}/composition").status_code == 403
    assert web_client.get("/campaigns/99999/composition").status_code == 404
