"""After a return: the reviewer's request beside what the unit changed since."""

from __future__ import annotations

import pytest

from nomination.engine import fire
from nomination.nominations.operations import update_nomination

from factories import person_data, recommendation
from test_web_support import login

pytest_plugins = ["test_web_support"]
pytestmark = pytest.mark.usefixtures("web")

REASON = "请补充近三年的具体业绩,职务请写全称。"


@pytest.fixture
def returned(session, web, create_nomination_for):
    """Unit1's nomination, recommended and returned by its working committee."""
    n = create_nomination_for("unit1", data=person_data(post="热力集团 班长"))
    fire(n, "recommend", web.users["unit1"], data=recommendation())
    fire(n, "return_to_unit", web.users["committee1"], data={"reason": REASON})
    session.commit()
    return n


def section(html: str) -> str:
    start = html.index('id="since-return"')
    return html[start : html.index("</section>", start)]


def test_the_unit_sees_the_request_and_its_changes(session, web, web_client, returned):
    login(web_client, "unit1")
    page = section(web_client.get(f"/nominations/{returned.id}").text)
    assert REASON in page and 'id="no-revision"' in page
    user = web.users["unit1"]
    data = person_data(post="北京热力集团 管网运行一班班长")
    update_nomination(returned, actor=user, data=data, version=returned.version)
    data["summary"] = data["summary"] + "近三年累计节约标准煤一万余吨。"
    update_nomination(returned, actor=user, data=data, version=returned.version)
    # A field changed and changed back is not listed.
    update_nomination(
        returned, actor=user, data=dict(data, phone="13910000001"), version=returned.version
    )
    update_nomination(returned, actor=user, data=data, version=returned.version)
    session.commit()
    page = section(web_client.get(f"/nominations/{returned.id}").text)
    assert 'id="revision-changes"' in page
    assert "热力集团 班长" in page and "北京热力集团 管网运行一班班长" in page
    assert "近三年累计节约标准煤一万余吨" in page
    assert "13910000001" not in page


def test_the_reviewer_sees_it_after_the_resubmission(session, web, new_web_client, returned):
    update_nomination(
        returned,
        actor=web.users["unit1"],
        data=person_data(post="北京热力集团 管网运行一班班长"),
        version=returned.version,
    )
    fire(returned, "resubmit", web.users["unit1"], data={"comment": "已按意见修改"})
    session.commit()
    committee = new_web_client()
    login(committee, "committee1")
    page = section(committee.get(f"/nominations/{returned.id}").text)
    assert REASON in page and "北京热力集团 管网运行一班班长" in page
    # Once forwarded, the revision is history: the section goes.
    fire(returned, "forward", web.users["committee1"], data={"comment": "同意"})
    fire(returned, "accept", web.users["federation"], data={"comment": "同意"})
    session.commit()
    assert 'id="since-return"' not in committee.get(f"/nominations/{returned.id}").text


def test_nothing_to_show_without_a_return(session, web, web_client, create_nomination_for):
    n = create_nomination_for("unit1")
    fire(n, "recommend", web.users["unit1"], data=recommendation())
    session.commit()
    login(web_client, "unit1")
    assert 'id="since-return"' not in web_client.get(f"/nominations/{n.id}").text


def test_the_recommend_card_is_a_checklist(session, web, web_client, create_nomination_for):
    n = create_nomination_for("unit1", data=person_data(phone=""))
    session.commit()
    login(web_client, "unit1")
    page = web_client.get(f"/nominations/{n.id}").text
    checklist = page[page.index('id="recommend-checklist"') :]
    checklist = checklist[: checklist.index("</ul>")]
    items = dict(
        (part.split('"')[0], part.split('data-passed="')[1].split('"')[0])
        for part in checklist.split('data-check="')[1:]
    )
    assert items["nominee_data_complete"] == "false"
    assert "联系电话" in checklist  # what is missing, named
    assert items["before_nomination_deadline"] == "true"
    assert items["unit_not_barred"] == "true"
    assert items["congress_vote_passed"] == "none"  # judged when the vote is submitted


#: Long deeds, as units write them: a 14-character insertion in about 600 characters.
LONG_DEEDS = "扎根供热一线三十年,带领班组攻克管网节能难题。" * 14
REVISED_DEEDS = LONG_DEEDS[:300] + "二〇二五年获评市级技术能手," + LONG_DEEDS[300:]


def test_a_small_change_in_a_long_text_is_marked_not_struck_through_whole(
    session, web, new_web_client, create_nomination_for
):
    n = create_nomination_for("unit1", data=person_data(deeds=LONG_DEEDS))
    fire(n, "recommend", web.users["unit1"], data=recommendation())
    fire(n, "return_to_unit", web.users["committee1"], data={"reason": REASON})
    data = person_data(deeds=REVISED_DEEDS)
    update_nomination(n, actor=web.users["unit1"], data=data, version=n.version)
    fire(n, "resubmit", web.users["unit1"], data={"comment": "已补充"})
    session.commit()
    committee = new_web_client()
    login(committee, "committee1")
    html = committee.get(f"/nominations/{n.id}").text
    page = section(html)
    row = page[page.index("主要事迹") :]
    row = row[: row.index("</tr>")]
    # Only the inserted words are marked; nothing is struck through whole.
    assert "line-through" not in page
    inserted = row.split("<ins")[1].split("</ins>")[0]
    assert "二〇二五年获评市级技术能手," in inserted
    assert "<del" not in row.split("data-whole")[0]
    # The unchanged text around the change is cut, and both texts are one click away.
    shown = row.split("<details")[0]
    assert "data-elided" in shown and len(shown) < 1500
    assert "<details" in row and REVISED_DEEDS in row
    # The timeline shows the same short change, not the deeds twice.
    timeline = html[html.index('id="timeline"') :]
    assert timeline.count(LONG_DEEDS) <= 1 and "data-elided" in timeline
