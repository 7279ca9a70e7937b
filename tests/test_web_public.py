"""The public pages, without logging in: the notice board and objections."""

from __future__ import annotations

import pytest

from nomination.models import Nomination

from factories import OBJECTION, person_data
from test_web_support import field_block, walk_to_notice

#: The fixtures (web_client, new_web_client, web) are shared by the web tests.
pytest_plugins = ["test_web_support"]
pytestmark = pytest.mark.usefixtures("web")


@pytest.fixture
def on_notice(session, web, create_nomination_for):
    """Unit1's nomination on public notice, and another still a draft; both committed."""
    n = create_nomination_for("unit1")
    walk_to_notice(n, web)
    create_nomination_for("unit1", data=person_data(name="草稿中的人", id_number=""))
    session.commit()
    return n


def test_notice_shows_public_fields_only(web_client, on_notice, web):
    page = web_client.get("/notices/")
    assert page.status_code == 200
    notice = page.text[page.text.index(f'data-notice="{on_notice.id}"') :]
    notice = notice[: notice.index("</article>")]
    assert "张建国" in notice
    assert "男" in notice  # the choice's label, not its value
    assert "北京热力集团 运行班班长" in notice
    assert "扎根供热一线三十年" in notice  # the deeds summary
    assert "单位一" in notice
    # Never the private fields: ID number, phone, birth date, ethnicity, full deeds.
    for private in (
        "110105194912310038",
        "13910000000",
        "+8613910000000",
        "1949-12-31",
        "汉族",
        "累计节约标准煤",
    ):
        assert private not in page.text
    assert "草稿中的人" not in page.text
    # Where to object.
    assert "朝阳区总工会劳模办" in page.text
    assert "010-65099999" in page.text
    assert f'href="/notices/{on_notice.id}/object"' in notice


def test_notice_is_empty_when_nothing_is_on_notice(web_client, create_nomination_for, session):
    create_nomination_for("unit1")
    session.commit()
    page = web_client.get("/notices/")
    assert 'id="no-notices"' in page.text
    assert "张建国" not in page.text


def test_objection_moves_to_review_and_gives_a_reference(web_client, on_notice, session):
    form = web_client.get(f"/notices/{on_notice.id}/object")
    assert form.status_code == 200
    assert "真实姓名" in form.text
    assert "110105194912310038" not in form.text

    response = web_client.post(f"/notices/{on_notice.id}/object", data=OBJECTION)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location == "/notices/objections/received"  # nothing personal in the URL
    confirmation = web_client.get(location)
    session.expire_all()
    nomination = session.get(Nomination, on_notice.id)
    assert nomination.state == "objection_review"
    [objection] = nomination.objections
    assert objection.objector_name == "赵明"
    reference = objection.reference
    assert f'id="objection-reference">{reference}<' in confirmation.text
    # It is no longer on the notice board; another objection joins the review under way.
    assert "张建国" not in web_client.get("/notices/").text
    again = web_client.get(f"/notices/{on_notice.id}/object")
    assert again.status_code == 200 and 'id="late-warning"' not in again.text
    second = dict(
        OBJECTION, objector_name="钱某", facts="该同志的事迹材料中有关获奖情况与事实不符。"
    )
    assert web_client.post(f"/notices/{on_notice.id}/object", data=second).status_code == 302
    session.expire_all()
    nomination = session.get(Nomination, on_notice.id)
    assert nomination.state == "objection_review"
    assert [(o.objector_name, o.late) for o in nomination.objections] == [
        ("赵明", False),
        ("钱某", False),
    ]

    # The objector follows it with the reference, sent in the body, not the URL.
    status = web_client.post("/notices/objections", data={"reference": reference.lower()})
    assert status.status_code == 200
    assert "核查中" in status.text
    assert reference in status.text
    assert "赵明" not in status.text
    unknown = web_client.post("/notices/objections", data={"reference": "YY-000000000000"})
    assert unknown.status_code == 404
    assert "没有此编号的异议" in unknown.text


def test_objection_with_missing_facts_keeps_what_was_typed(web_client, on_notice, session):
    data = {**OBJECTION, "facts": "太短", "objector_phone": "123"}
    response = web_client.post(f"/notices/{on_notice.id}/object", data=data)
    assert response.status_code == 422
    facts = field_block(response.text, "facts")
    assert "至少 10 字" in facts
    assert "太短" in facts
    assert "电话号码无效" in field_block(response.text, "objector_phone")
    assert "电话号码无效" not in field_block(response.text, "objector_address")
    assert 'value="赵明"' in response.text
    session.expire_all()
    assert session.get(Nomination, on_notice.id).state == "public_notice"


def test_only_nominations_on_notice_take_objections(web_client, create_nomination_for, session):
    draft = create_nomination_for("unit1")
    session.commit()
    assert web_client.get(f"/notices/{draft.id}/object").status_code == 404
    assert web_client.post(f"/notices/{draft.id}/object", data=OBJECTION).status_code == 404
    assert web_client.get("/notices/999999/object").status_code == 404


def test_public_pages_in_english(web_client, on_notice):
    page = web_client.get("/notices/", query_string={"lang": "en"})
    assert "Summary of deeds" in page.text
    assert "Male" in page.text
    assert "Object to this nomination" in page.text


def test_notice_links_its_print_version_pdf_archive_and_feed(web_client, on_notice, web):
    page = web_client.get("/notices/").text
    group = page[page.index(f'data-campaign="{web.campaign.id}" data-kind="individual"') :]
    assert f'href="/notices/{web.campaign.id}/individual/print"' in group
    assert f'href="/notices/{web.campaign.id}/individual/notice.pdf"' in group
    assert 'href="/notices/archive"' in page
    assert 'rel="alternate" type="application/atom+xml" href="/notices/feed.atom"' in page
    # The period as published: from the day of publication to the closing hour of its end.
    notice = page[page.index(f'data-notice="{on_notice.id}"') :]
    assert "2026年11月18日 至 2026年11月24日 17:00" in notice
