"""The nomination pages through the Flask test client: scoping, forms, transitions, conflicts."""

from __future__ import annotations

import html as html_module
import re

import pytest
from sqlalchemy import func, select

from nomination.models import AuditEvent, Nomination
from nomination.nominations.operations import update_nomination
from nomination.objections.operations import file_objection
from nomination.web import nominations as views

from factories import person_data, recommendation
from test_web_support import as_form, field_block, login, walk_to_notice

#: The fixtures (web_client, new_web_client, web) are shared by the web tests.
pytest_plugins = ["test_web_support"]
pytestmark = pytest.mark.usefixtures("web")


@pytest.fixture
def nomination(session, create_nomination_for):
    """A complete draft of unit1's, committed so that failing requests keep it."""
    n = create_nomination_for("unit1")
    session.commit()
    return n


def hidden_version(html, trigger=None):
    """Return the version in the (transition) form on the page."""
    if trigger:
        html = html[html.index('<form method="post" action="/nominations/') :]
        html = html[html.index(f'data-trigger="{trigger}"') :]
    return int(re.search(r'name="version" type="hidden" value="(\d+)"', html)[1])


def listed(html):
    """Return the dashboard's scoped list (without the queue)."""
    return html[html.index('id="all"') :]


def test_unit_sees_only_its_own_nominations(web_client, new_web_client, nomination, session):
    login(web_client, "unit1")
    page = web_client.get("/")
    assert "张建国" in page.text
    assert f'href="/nominations/{nomination.id}"' in page.text
    assert web_client.get(f"/nominations/{nomination.id}").status_code == 200

    other = new_web_client()
    login(other, "unit2")
    page = other.get("/")
    assert page.status_code == 200
    assert "张建国" not in page.text
    assert f"/nominations/{nomination.id}" not in page.text
    assert 'id="state-counts"' not in page.text  # not even counted
    # Another unit's nomination answers exactly like a missing one, and the refusal is audited.
    refused = other.get(f"/nominations/{nomination.id}")
    missing = other.get("/nominations/999999")
    assert refused.status_code == missing.status_code == 404

    # The same page but for the path echoed in the language links (and the CSRF token of the
    # logout form, which is signed with the second it was made in).
    def page_of(response, number):
        text = response.text.replace(f"/{number}?", "/N?")
        masked, found = re.subn(r'name="csrf_token" value="[^"]*"', "csrf", text)
        assert found  # the token is there, and masked
        return masked

    assert page_of(refused, nomination.id) == page_of(missing, 999999)
    denied = session.scalar(
        select(AuditEvent).where(AuditEvent.action == "auth.denied").order_by(AuditEvent.seq.desc())
    )
    assert denied.entity_id == f"/nominations/{nomination.id}"
    assert other.get(f"/nominations/{nomination.id}/edit").status_code == 404
    fired = other.post(
        f"/nominations/{nomination.id}/transitions/withdraw",
        data={"version": nomination.version, "reason": "不推荐了"},
    )
    assert fired.status_code == 404

    # The working committee of the other unit does not see it either; unit1's committee does.
    committee2 = new_web_client()
    login(committee2, "committee2")
    assert "张建国" not in committee2.get("/").text
    committee1 = new_web_client()
    login(committee1, "committee1")
    assert "张建国" in committee1.get("/").text
    session.expire_all()
    assert session.get(Nomination, nomination.id).state == "draft"


def test_dashboard_filters_and_counts(web_client, nomination, create_nomination_for, session):
    create_nomination_for("unit1", data=person_data(name="李秀英", gender="female", id_number=""))
    session.commit()
    login(web_client, "unit1")
    page = web_client.get("/")
    counts = page.text[page.text.index('id="state-counts"') :]
    assert re.search(r'data-state="draft">.*?<span class="count">2</span>', counts, re.S)
    assert 'data-new-kind="individual"' in page.text  # new-nomination buttons per award
    assert 'data-new-kind="team"' in page.text
    only_rejected = listed(web_client.get("/", query_string={"state": "rejected"}).text)
    assert "张建国" not in only_rejected
    assert "李秀英" not in only_rejected
    only_drafts = listed(
        web_client.get("/", query_string={"state": "draft", "kind": "individual"}).text
    )
    assert "张建国" in only_drafts and "李秀英" in only_drafts
    assert "李秀英" not in listed(web_client.get("/", query_string={"kind": "team"}).text)


def test_reviewer_has_no_new_nomination_buttons(web_client, nomination):
    login(web_client, "committee1")
    page = web_client.get("/")
    assert "data-new-kind" not in page.text
    assert (
        web_client.get(
            "/nominations/new", query_string={"campaign_id": nomination.campaign_id, "kind": "team"}
        ).status_code
        == 403
    )


def test_create_with_malformed_id_number_keeps_what_was_typed(web_client, web, session):
    login(web_client, "unit1")
    url = f"/nominations/new?campaign_id={web.campaign.id}&kind=individual"
    form = web_client.get(url)
    assert form.status_code == 200
    assert 'name="unit_id"' in form.text
    assert "居民身份证号码" in form.text

    data = as_form(person_data(id_number="110105194912310039"))  # wrong check digit
    data["unit_id"] = str(web.unit1.id)
    response = web_client.post(url, data=data)
    assert response.status_code == 422
    block = field_block(response.text, "id_number")
    assert "is-invalid" in block
    assert "身份证号码无效" in block
    assert 'value="110105194912310039"' in block
    assert "身份证号码无效" not in field_block(response.text, "name")
    assert 'value="张建国"' in field_block(response.text, "name")
    assert "带领班组攻克管网节能难题,累计节约标准煤一万余吨" in field_block(response.text, "deeds")
    assert 'value="1949-12-31"' in field_block(response.text, "birth_date")
    created = select(func.count(Nomination.id)).where(Nomination.campaign_id == web.campaign.id)
    assert session.scalar(created) == 0


def test_create_an_incomplete_draft_then_recommend_is_blocked_with_reason(web_client, web, session):
    login(web_client, "unit1")
    url = f"/nominations/new?campaign_id={web.campaign.id}&kind=individual"
    response = web_client.post(url, data={"unit_id": web.unit1.id, "name": "王立新"})
    assert response.status_code == 302
    nomination_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = web_client.get(response.headers["Location"])
    assert "王立新" in page.text
    assert "单位推荐中" in page.text
    card = page.text[page.text.index('data-trigger="recommend"') :]
    card = card[: card.index("</button>")]
    assert "data-blocked" in card
    assert 'disabled aria-describedby="recommend-reasons"' in card
    assert "推荐表尚未填写完整" in card
    assert "居民身份证号码" in card
    # Firing anyway is refused by the guard, and the page says why.
    fired = web_client.post(
        f"/nominations/{nomination_id}/transitions/recommend",
        data={**as_form(recommendation()), "version": 1},
    )
    assert fired.status_code == 422
    assert "推荐表尚未填写完整" in fired.text
    assert 'data-submitted="recommend"' in fired.text  # what was typed is still there
    assert "同意推荐。" in fired.text
    session.expire_all()
    assert session.get(Nomination, nomination_id).state == "draft"


def test_recommend_puts_it_in_the_committee_queue(web_client, new_web_client, nomination, session):
    login(web_client, "unit1")
    page = web_client.get(f"/nominations/{nomination.id}")
    assert '<form method="post" action="/nominations/' in page.text
    assert 'data-trigger="recommend"' in page.text
    assert 'name="trigger" value="recommend"' in page.text
    assert 'id="edit-link"' in page.text
    assert "<svg" in page.text  # the workflow diagram

    committee1 = new_web_client()
    login(committee1, "committee1")
    queue = committee1.get("/").text
    queue = queue[queue.index('id="queue"') : queue.index('id="all"')]
    assert "张建国" not in queue  # a draft is the unit's business

    version = hidden_version(page.text, "recommend")
    fired = web_client.post(
        f"/nominations/{nomination.id}/transitions/recommend",
        data={**as_form(recommendation()), "version": version, "trigger": "recommend"},
    )
    assert fired.status_code == 302
    assert fired.headers["Location"] == f"/nominations/{nomination.id}"
    after = web_client.get(fired.headers["Location"])
    assert "工委审核" in after.text
    assert 'id="edit-link"' not in after.text  # no longer editable
    timeline = after.text[after.text.index('id="timeline"') :]
    assert "推荐上报工委" in timeline
    assert "单位推荐中 → 工委审核" in timeline
    assert "同意推荐。" in after.text  # the unit's opinion in the evidence

    queue = committee1.get("/").text
    queue = queue[queue.index('id="queue"') : queue.index('id="all"')]
    assert "张建国" in queue
    assert "审核通过,报区总工会" in queue
    view = committee1.get(f"/nominations/{nomination.id}").text
    assert 'data-trigger="forward"' in view
    assert 'data-trigger="recommend"' not in view
    # The other committee's queue stays empty.
    committee2 = new_web_client()
    login(committee2, "committee2")
    assert "张建国" not in committee2.get("/").text


def test_invalid_transition_form_keeps_input_with_errors(web_client, nomination, session):
    login(web_client, "unit1")
    data = as_form(recommendation(votes_for="lots"))
    data["version"] = str(nomination.version)
    response = web_client.post(f"/nominations/{nomination.id}/transitions/recommend", data=data)
    assert response.status_code == 422
    form = response.text[response.text.index('data-trigger="recommend"') :]
    assert "is-invalid" in field_block(form, "votes_for")
    assert 'value="lots"' in field_block(form, "votes_for")
    assert 'value="120"' in field_block(form, "members_present")
    assert "同意推荐。" in field_block(form, "comment")
    session.expire_all()
    assert session.get(Nomination, nomination.id).state == "draft"


def test_guard_refusal_shows_reason_and_keeps_input(web_client, nomination, session):
    login(web_client, "unit1")
    data = as_form(recommendation(votes_for=50, comment="请审核"))
    data["version"] = str(nomination.version)
    response = web_client.post(f"/nominations/{nomination.id}/transitions/recommend", data=data)
    assert response.status_code == 422
    assert 'data-alert="guard"' in response.text
    assert "赞成票 50/120 未超过到会人数的 1/2" in response.text
    form = response.text[response.text.index('data-trigger="recommend"') :]
    assert 'value="50"' in field_block(form, "votes_for")
    assert "请审核" in form
    session.expire_all()
    assert session.get(Nomination, nomination.id).state == "draft"


def test_stale_version_on_a_transition_is_a_conflict(web_client, nomination, session, web):
    login(web_client, "unit1")
    page = web_client.get(f"/nominations/{nomination.id}")
    stale = hidden_version(page.text, "recommend")
    # Someone else saves the form meanwhile.
    update_nomination(
        nomination, actor=web.users["unit1"], data=person_data(post="热力集团 班长"), version=stale
    )
    session.commit()
    data = {**as_form(recommendation(comment="我的推荐意见")), "version": stale}
    response = web_client.post(f"/nominations/{nomination.id}/transitions/recommend", data=data)
    assert response.status_code == 409
    assert "此推荐已被他人更新" in response.text
    form = response.text[response.text.index('data-trigger="recommend"') :]
    assert "我的推荐意见" in form  # nothing typed is lost
    assert hidden_version(response.text, "recommend") == stale + 1
    session.expire_all()
    assert session.get(Nomination, nomination.id).state == "draft"
    # Submitting again, having seen the current nomination, goes through.
    data["version"] = stale + 1
    again = web_client.post(f"/nominations/{nomination.id}/transitions/recommend", data=data)
    assert again.status_code == 302


def test_a_transition_no_longer_possible_keeps_what_was_typed(web_client, nomination, session):
    login(web_client, "unit1")
    version = nomination.version
    ok = web_client.post(
        f"/nominations/{nomination.id}/transitions/recommend",
        data={**as_form(recommendation()), "version": version},
    )
    assert ok.status_code == 302
    # A second tab still shows the draft and withdraws it.
    late = web_client.post(
        f"/nominations/{nomination.id}/transitions/withdraw",
        data={"version": version, "reason": "单位决定撤回"},
    )
    assert late.status_code == 409
    assert "此推荐已被他人更新" in late.text
    assert 'data-submitted="withdraw"' in late.text
    assert "单位决定撤回" in late.text


def test_other_roles_cannot_fire(web_client, nomination):
    login(web_client, "committee1")
    response = web_client.post(
        f"/nominations/{nomination.id}/transitions/recommend",
        data={**as_form(recommendation()), "version": nomination.version},
    )
    assert response.status_code == 403


def test_edit_with_stale_version_is_a_conflict_and_keeps_input(web_client, nomination, session):
    login(web_client, "unit1")
    form = web_client.get(f"/nominations/{nomination.id}/edit")
    assert form.status_code == 200
    version = hidden_version(form.text)
    assert 'value="110105194912310038"' in form.text
    assert 'selected value="male"' in form.text

    first = as_form(person_data(post="运行班班长(第一次保存)"))
    saved = web_client.post(
        f"/nominations/{nomination.id}/edit", data={**first, "version": version}
    )
    assert saved.status_code == 302
    second = as_form(person_data(post="运行班班长(另一窗口)"))
    response = web_client.post(
        f"/nominations/{nomination.id}/edit", data={**second, "version": version}
    )
    assert response.status_code == 409
    assert "此推荐已被他人更新" in response.text
    assert 'value="运行班班长(另一窗口)"' in field_block(response.text, "post")
    differences = response.text[response.text.index('id="differences"') :]
    assert "运行班班长(第一次保存)" in differences
    assert hidden_version(response.text) == version + 1
    session.expire_all()
    assert session.get(Nomination, nomination.id).data["post"] == "运行班班长(第一次保存)"


def hidden_base(html):
    return html_module.unescape(re.search(r'name="base"[^>]*value="([^"]*)"', html)[1])


def test_saving_again_after_a_conflict_keeps_the_colleagues_change(web_client, nomination, session):
    login(web_client, "unit1")
    page = web_client.get(f"/nominations/{nomination.id}/edit").text
    read = {"version": hidden_version(page), "base": hidden_base(page)}
    # One window changes the post and saves; the other, read before, changes the phone.
    first = as_form(person_data(post="运行班班长(第一次保存)"))
    assert (
        web_client.post(f"/nominations/{nomination.id}/edit", data={**first, **read}).status_code
        == 302
    )
    second = as_form(person_data(phone="13910000099"))
    response = web_client.post(f"/nominations/{nomination.id}/edit", data={**second, **read})
    assert response.status_code == 409
    # The form shown again holds the colleague's post and this user's phone; only the phone
    # is listed as a difference.
    assert 'value="运行班班长(第一次保存)"' in field_block(response.text, "post")
    assert "13910000099" in field_block(response.text, "phone")
    differences = response.text[response.text.index('id="differences"') :]
    differences = differences[: differences.index("</table>")]
    assert "13910000099" in differences and "第一次保存" not in differences
    again = {
        **second,
        "post": "运行班班长(第一次保存)",
        "version": hidden_version(response.text),
        "base": hidden_base(response.text),
    }
    assert web_client.post(f"/nominations/{nomination.id}/edit", data=again).status_code == 302
    session.expire_all()
    data = session.get(Nomination, nomination.id).data
    assert data["post"] == "运行班班长(第一次保存)"
    assert data["phone"].endswith("13910000099")


def test_edit_refuses_malformed_values_next_to_the_field(web_client, nomination, session):
    login(web_client, "unit1")
    data = {**as_form(person_data(phone="12345")), "version": nomination.version}
    response = web_client.post(f"/nominations/{nomination.id}/edit", data=data)
    assert response.status_code == 422
    assert "电话号码无效" in field_block(response.text, "phone")
    assert 'value="12345"' in field_block(response.text, "phone")


def test_english_pages_use_english_labels(web_client, nomination):
    login(web_client, "unit1")
    page = web_client.get(f"/nominations/{nomination.id}", query_string={"lang": "en"})
    assert '<html lang="en">' in page.text
    assert "Resident ID number" in page.text
    assert "Unit recommendation" in page.text
    assert "Recommend to the working committee" in page.text
    assert "Male" in page.text
    assert "居民身份证号码" not in page.text
    zh = web_client.get(f"/nominations/{nomination.id}").text
    assert "居民身份证号码" in zh and "男" in zh


def test_choices_are_shown_by_label(web_client, nomination):
    login(web_client, "unit1")
    page = web_client.get(f"/nominations/{nomination.id}").text
    data = page[page.index('id="nominee-data"') :]
    assert "中共党员" in data
    assert ">cpc<" not in data


def test_without_graphviz_the_states_are_listed(web_client, nomination, monkeypatch):
    monkeypatch.setattr(views, "_DIAGRAMS", {})  # start without cached diagrams
    monkeypatch.setenv("PATH", "/nonexistent")  # and without Graphviz's dot
    login(web_client, "unit1")
    page = web_client.get(f"/nominations/{nomination.id}")
    assert page.status_code == 200
    assert "<svg" not in page.text
    states = page.text[page.text.index('id="state-list"') :]
    states = states[: states.index("</ol>")]
    current = re.search(r'aria-current="step"[^>]*>\s*<span[^>]*>([^<]+)<', states)
    assert current[1] == "单位推荐中"
    assert states.index("单位推荐中") < states.index("工委审核") < states.index("已批准表彰")


def test_editing_after_the_state_moved_on_is_a_conflict(web_client, nomination):
    login(web_client, "unit1")
    version = hidden_version(web_client.get(f"/nominations/{nomination.id}/edit").text)
    fired = web_client.post(
        f"/nominations/{nomination.id}/transitions/recommend",
        data={**as_form(recommendation()), "version": version},
    )
    assert fired.status_code == 302
    typed = as_form(person_data(post="迟到的修改"))
    response = web_client.post(
        f"/nominations/{nomination.id}/edit", data={**typed, "version": version}
    )
    assert response.status_code == 409
    assert "此推荐已被他人更新" in response.text
    assert 'value="迟到的修改"' in field_block(response.text, "post")
    # Opening the edit page now sends the unit back to the nomination.
    reopened = web_client.get(f"/nominations/{nomination.id}/edit")
    assert reopened.status_code == 302
    assert reopened.headers["Location"] == f"/nominations/{nomination.id}"


def test_only_the_unit_edits_and_only_while_the_state_allows(
    web_client, new_web_client, nomination
):
    committee1 = new_web_client()
    login(committee1, "committee1")
    # A draft may be edited, but not by the working committee.
    assert committee1.get(f"/nominations/{nomination.id}/edit").status_code == 403
    posted = committee1.post(
        f"/nominations/{nomination.id}/edit",
        data={**as_form(person_data(post="改")), "version": nomination.version},
    )
    assert posted.status_code == 403
    login(web_client, "unit1")
    assert web_client.get(f"/nominations/{nomination.id}/edit").status_code == 200


def test_each_award_kind_has_its_own_form(web_client, web):
    login(web_client, "unit1")
    url = f"/nominations/new?campaign_id={web.campaign.id}&kind=unit"
    assert "统一社会信用代码" in web_client.get(url).text
    data = {"unit_id": web.unit1.id, "full_name": "北京某某有限公司", "credit_code": "123"}
    response = web_client.post(url, data=data)
    assert response.status_code == 422
    assert "统一社会信用代码无效" in field_block(response.text, "credit_code")
    assert 'value="北京某某有限公司"' in field_block(response.text, "full_name")
    assert (
        web_client.get(f"/nominations/new?campaign_id={web.campaign.id}&kind=x").status_code == 404
    )


#: An objection from the public, with everything that must stay with the objection handlers.
OBJECTION = {
    "objector_name": "钱某某",
    "objector_phone": "13800138000",
    "objector_address": "北京市朝阳区某街道9号",
    "facts": "该同志2025年曾因安全生产事故受到处分,推荐材料未如实填报。",
}


@pytest.fixture
def objected(session, web, create_nomination_for):
    """Unit1's nomination on notice with an objection filed: the state is objection_review."""
    n = create_nomination_for("unit1")
    walk_to_notice(n, web)
    objection = file_objection(n, data=dict(OBJECTION))
    session.commit()
    assert n.state == "objection_review"
    return n, objection


@pytest.mark.parametrize("username", ["unit1", "committee1"])
def test_the_objectors_identity_stays_with_the_objection_handlers(web_client, objected, username):
    nomination, objection = objected
    login(web_client, username)
    page = web_client.get(f"/nominations/{nomination.id}")
    assert page.status_code == 200
    for secret in (
        OBJECTION["objector_name"],
        "13800138000",
        OBJECTION["objector_address"],
        OBJECTION["facts"],
        objection.reference,
    ):
        assert secret not in page.text
    # That there is an objection, and its status, is all they learn.
    section = page.text[page.text.index('id="objections"') :]
    section = section[: section.index("</section>")]
    assert 'data-status="open"' in section
    assert "核查中" in section
    assert "data-objection=" not in section


def test_the_federation_reviewer_sees_the_objection_to_decide_on_it(web_client, objected):
    nomination, objection = objected
    login(web_client, "federation")
    page = web_client.get(f"/nominations/{nomination.id}")
    section = page.text[page.text.index('id="objections"') :]
    section = section[: section.index("</section>")]
    assert OBJECTION["objector_name"] in section
    # Stored in E.164 (+8613800138000), shown as the objector wrote it.
    assert objection.objector_phone == "+8613800138000"
    assert "13800138000" in section and "+86" not in section
    assert OBJECTION["objector_address"] in section
    assert OBJECTION["facts"] in section
    assert objection.reference not in page.text  # the objector's key, not the reviewer's
    # The decisions are offered beside it.
    assert 'data-trigger="dismiss_objection"' in page.text
    assert 'data-trigger="uphold_objection"' in page.text

    version = hidden_version(page.text, "dismiss_objection")
    fired = web_client.post(
        f"/nominations/{nomination.id}/transitions/dismiss_objection",
        data={"version": version, "comment": "经核查,反映的事故与本人无关"},
    )
    assert fired.status_code == 302
    after = web_client.get(f"/nominations/{nomination.id}").text
    section = after[after.index('id="objections"') :]
    section = section[: section.index("</section>")]
    assert 'data-status="unfounded"' in section
    assert "经核查,反映的事故与本人无关" in section


def test_people_read_what_they_wrote_not_internal_formats(web_client, nomination):
    """The phone as it is written (no +86), and no version counter."""
    login(web_client, "unit1")
    assert nomination.data["phone"].startswith("+86")  # kept in E.164, to compare
    page = web_client.get(f"/nominations/{nomination.id}").text
    data = page[page.index('id="nominee-data"') :]
    assert "13910000000" in data and "+86" not in page
    assert "版本" not in page
    edit = web_client.get(f"/nominations/{nomination.id}/edit").text
    phone_input = re.search(r'<input[^>]*name="phone"[^>]*>', edit)[0]
    assert 'value="13910000000"' in phone_input


def test_the_diagram_speaks_the_readers_language_only(web_client, nomination, monkeypatch):
    monkeypatch.setattr(views, "_DIAGRAMS", {})  # drawn afresh from the definitions
    login(web_client, "unit1")

    def figure(language):
        page = web_client.get(f"/nominations/{nomination.id}", query_string={"lang": language})
        html = page.text[page.text.index('<figure class="workflow-diagram') :]
        return html[: html.index("</figure>")]

    zh = figure("zh")
    assert "工委审核" in zh
    # No state's code, in the drawing or its tooltips.
    for code in ("committee_review", "draft", "public_notice", "individual"):
        assert code not in zh
    en = figure("en")
    assert "Unit recommendation" in en
    assert not re.search(r"[\u4e00-\u9fff]", en)
