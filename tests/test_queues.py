"""Reviewers' queues: scope, the overdue filter, bulk actions, and returns that name fields."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from nomination.engine import fire
from nomination.models import AuditEvent, ConsultationRequest, Nomination
from nomination.nominations.queries import deadlines, visible_nominations

from factories import person_data, recommendation
from test_api_support import Api
from test_web_support import as_form, field_block, login

pytestmark = pytest.mark.usefixtures("web")
pytest_plugins = ["test_web_support"]

#: The names the tests give their nominees, to find them on a page.
NAMES = ("甲工人", "乙工人", "丙工人", "丁工人")


def section(html: str, start: str, end: str) -> str:
    """Return the part of ``html`` from the element with id ``start`` to the one with ``end``."""
    return html[html.index(f'id="{start}"') : html.index(f'id="{end}"')]


def queued(html: str) -> set[str]:
    """Return the nominees in the dashboard's queue."""
    queue = section(html, "queue", "all")
    return {n for n in NAMES if n in queue}


def row(html: str, nomination_id: int) -> str:
    """Return the HTML of the table row of one nomination."""
    start = html.index(f'data-nomination="{nomination_id}"')
    return html[html.rindex("<tr", 0, start) : html.index("</tr>", start)]


#: The last audit event before the test began: tests that commit for real (concurrency)
#: leave theirs behind, and only this test's count here.
_BEFORE = {"seq": 0}


@pytest.fixture(autouse=True)
def _only_this_tests_events(session):
    _BEFORE["seq"] = session.scalar(select(func.max(AuditEvent.seq))) or 0


def transitions(session, trigger: str) -> int:
    """Count the audit events of ``trigger`` this test appended."""
    action = f"transition.{trigger}"
    return session.scalar(
        select(func.count(AuditEvent.seq)).where(
            AuditEvent.action == action, AuditEvent.seq > _BEFORE["seq"]
        )
    )


@pytest.fixture
def recommended(session, web, create_nomination_for):
    """Nominations waiting for their committees: two of committee1's, one of committee2's."""
    made = {}
    for user, name in (("unit1", "甲工人"), ("unit2", "乙工人"), ("unit3", "丙工人")):
        n = create_nomination_for(user, data=person_data(name=name))
        fire(n, "recommend", web.users[user], data=recommendation())
        made[name] = n
    session.commit()
    return made


# --- whose queue holds what ----------------------------------------------------------------


def test_each_committee_queues_its_own_units_and_the_federation_its_whole_tree(
    session, web, new_web_client, recommended
):
    committee1, committee2, federation = new_web_client(), new_web_client(), new_web_client()
    login(committee1, "committee1")
    login(committee2, "committee2")
    login(federation, "federation")
    page = committee1.get("/").text
    assert queued(page) == {"甲工人", "乙工人"}
    counts = page[page.index('id="queue-counts"') :]
    assert re.search(r'data-state="committee_review">工委审核 <span class="count">2</span>', counts)
    assert queued(committee2.get("/").text) == {"丙工人"}
    # Nothing waits for the federation yet, though it sees every nomination of its tree.
    page = federation.get("/").text
    assert queued(page) == set()
    listed = page[page.index('id="all"') :]
    assert all(name in listed for name in ("甲工人", "乙工人", "丙工人"))

    fire(recommended["甲工人"], "forward", web.users["committee1"], data={"comment": "同意"})
    fire(recommended["丙工人"], "forward", web.users["committee2"], data={"comment": "同意"})
    session.commit()
    assert queued(federation.get("/").text) == {"甲工人", "丙工人"}
    assert queued(committee1.get("/").text) == {"乙工人"}
    # The filters narrow the queue as they narrow the list.
    assert queued(federation.get(f"/?unit_id={web.unit3.id}").text) == {"丙工人"}
    assert queued(federation.get("/?state=committee_review").text) == set()
    assert queued(committee1.get("/?kind=team").text) == set()


# --- overdue -------------------------------------------------------------------------------


@pytest.fixture
def consulting(session, web, create_nomination_for):
    """A nomination in consultation with the human-resources department, and one reviewed."""
    web.campaign.consultation_rules = [{"when": {}, "departments": ["D-HR"]}]
    u = web.users
    asked = create_nomination_for("unit1", data=person_data(name="甲工人"))
    fire(asked, "recommend", u["unit1"], data=recommendation())
    fire(asked, "forward", u["committee1"], data={"comment": "同意"})
    fire(asked, "accept", u["federation"], data={"comment": "符合条件"})
    waiting = create_nomination_for("unit2", data=person_data(name="乙工人"))
    fire(waiting, "recommend", u["unit2"], data=recommendation())
    fire(waiting, "forward", u["committee1"], data={"comment": "同意"})
    session.commit()
    assert asked.state == "consultation"
    return asked, waiting


def test_a_consultation_past_its_due_time_is_overdue(
    session, app, web, web_client, consulting, monkeypatch
):
    asked, waiting = consulting
    request = session.scalar(
        select(ConsultationRequest).where(ConsultationRequest.nomination_id == asked.id)
    )
    login(web_client, "federation")
    page = web_client.get("/").text
    # Within its period: its deadline is the department's, and nothing is overdue.
    assert deadlines(session, [asked.id])[asked.id].at == request.due_at
    assert "data-overdue" not in row(page, asked.id)
    assert queued(web_client.get("/?overdue=1").text) == set()
    assert 'id="filter-overdue"' in page

    monkeypatch.setitem(app.config, "FROZEN_TIME", request.due_at + timedelta(days=1))
    page = web_client.get("/").text
    late = row(page, asked.id)
    assert "data-overdue" in late and "逾期" in late
    assert "data-overdue" not in row(page, waiting.id)
    only_late = web_client.get("/?overdue=1").text
    assert queued(only_late) == {"甲工人"}
    assert "乙工人" not in only_late[only_late.index('id="all"') :]
    assert 'id="filter-overdue" name="overdue" value="1" checked' in only_late
    # An answer ends the lateness: the request is no longer open.
    request.status = "clear"
    session.commit()
    assert queued(web_client.get("/?overdue=1").text) == set()


def test_a_timer_past_due_and_not_fired_is_overdue(session, app, web, recommended, monkeypatch):
    returned = recommended["甲工人"]
    fire(returned, "return_to_unit", web.users["committee1"], data={"reason": "请补充材料"})
    session.flush()
    assert returned.timer_due_at is not None
    federation = web.users["federation"]
    overdue = visible_nominations(federation, overdue=True).with_only_columns(Nomination.id)
    assert session.scalars(overdue).all() == []
    # Past its due time, before any tick or read has fired it (nothing here applies timers).
    later = returned.timer_due_at + timedelta(minutes=1)
    due = deadlines(session, [returned.id, recommended["乙工人"].id], now=later)
    assert due[returned.id].overdue and due[returned.id].at == returned.timer_due_at
    assert not due[recommended["乙工人"].id].overdue
    monkeypatch.setitem(app.config, "FROZEN_TIME", later)
    overdue = visible_nominations(federation, overdue=True).with_only_columns(Nomination.id)
    assert session.scalars(overdue).all() == [returned.id]


# --- bulk actions --------------------------------------------------------------------------


@pytest.fixture
def three(session, web, create_nomination_for):
    """Three of committee1's nominations waiting for it; its quota has two places."""
    made = []
    for user, name in (("unit1", "甲工人"), ("unit2", "乙工人"), ("unit1", "丁工人")):
        n = create_nomination_for(user, data=person_data(name=name))
        fire(n, "recommend", web.users[user], data=recommendation())
        made.append(n)
    session.commit()
    return made


def ticks(*nominations: Nomination) -> list[str]:
    """Return the bulk form's ticks for ``nominations`` at their current versions."""
    return [f"{n.id}:{n.version}" for n in nominations]


def test_bulk_forward_fires_each_alone_and_lists_each_result(session, web, web_client, three):
    login(web_client, "committee1")
    page = web_client.get("/").text
    form = page[page.index('id="bulk-form"') :]
    for n in three:
        assert f'name="items" value="{n.id}:{n.version}"' in form
    assert '<option value="forward">审核通过,报区总工会</option>' in form
    assert '<option value="return_to_unit">' in form

    response = web_client.post(
        "/nominations/bulk-transitions",
        data={"trigger": "forward", "text": "同意推荐", "items": ticks(*three)},
    )
    assert response.status_code == 200
    results = response.text[response.text.index('id="bulk-results"') :]
    first, second, third = (row_of_result(results, n.id) for n in three)
    assert 'data-status="done"' in first and 'data-status="done"' in second
    # The committee's two places are used: the third is refused by the quota, and says so.
    assert 'data-status="refused"' in third and 'data-code="guard_blocked"' in third
    assert "名额(2)已用完" in third
    assert re.search(r"<span data-done>2</span>", response.text)
    session.expire_all()
    states = [session.get(Nomination, n.id).state for n in three]
    assert states == ["federation_review", "federation_review", "committee_review"]
    assert transitions(session, "forward") == 2
    opinions = session.get(Nomination, three[0].id).evidence["opinions"]
    assert opinions[-1]["text"] == "同意推荐" and opinions[-1]["by"] == "committee1"


def row_of_result(html: str, nomination_id: int) -> str:
    """Return the result row of one nomination on the bulk result page."""
    start = html.index(f'data-result="{nomination_id}"')
    return html[html.rindex("<tr", 0, start) : html.index("</tr>", start)]


def test_a_stale_version_refuses_that_one_only(session, web, web_client, three):
    login(web_client, "committee1")
    stale = ticks(*three[:2])
    # Someone returns the second meanwhile: the version ticked is no longer current.
    fire(three[1], "return_to_unit", web.users["committee1"], data={"reason": "请补充材料"})
    session.commit()
    response = web_client.post(
        "/nominations/bulk-transitions",
        data={"trigger": "return_to_unit", "text": "请补充职代会决议", "items": stale},
    )
    assert response.status_code == 200
    assert 'data-status="done"' in row_of_result(response.text, three[0].id)
    refused = row_of_result(response.text, three[1].id)
    assert 'data-code="conflict"' in refused and "已被他人更新" in refused
    session.expire_all()
    assert session.get(Nomination, three[0].id).state == "returned"
    assert transitions(session, "return_to_unit") == 2  # the one meanwhile, and the bulk one


def test_a_bulk_action_without_its_opinion_fires_nothing_and_keeps_the_ticks(
    session, web, web_client, three
):
    login(web_client, "committee1")
    response = web_client.post(
        "/nominations/bulk-transitions",
        data={"trigger": "forward", "text": "  ", "items": ticks(three[0])},
    )
    assert response.status_code == 422
    form = response.text[response.text.index('id="bulk-form"') :]
    assert 'id="bulk-text-errors"' in form and "此项必填" in form
    assert f'id="tick-{three[0].id}" checked' in form
    assert f'id="tick-{three[1].id}" checked' not in form
    assert transitions(session, "forward") == 0
    none_ticked = web_client.post(
        "/nominations/bulk-transitions", data={"trigger": "forward", "text": "同意"}
    )
    assert none_ticked.status_code == 422
    assert "请至少勾选一条推荐" in none_ticked.text


def test_bulk_refuses_what_the_user_may_not_do_and_audits_it(session, web, web_client, three):
    login(web_client, "committee2")  # not the committee of these units
    response = web_client.post(
        "/nominations/bulk-transitions",
        data={"trigger": "forward", "text": "同意", "items": ticks(three[0])},
    )
    assert response.status_code == 200
    refused = row_of_result(response.text, three[0].id)
    assert 'data-code="not_found"' in refused
    assert "甲工人" not in refused  # nothing about a nomination out of scope
    assert transitions(session, "forward") == 0
    denied = session.scalar(
        select(AuditEvent).where(AuditEvent.action == "auth.denied").order_by(AuditEvent.seq.desc())
    )
    assert denied.entity_id == f"/nominations/{three[0].id}/transitions/forward"


def test_the_bulk_form_needs_its_csrf_token(session, app, web, web_client, three, monkeypatch):
    login(web_client, "committee1")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    data = {"trigger": "forward", "text": "同意", "items": ticks(three[0])}
    assert web_client.post("/nominations/bulk-transitions", data=data).status_code == 400
    page = web_client.get("/").text
    form = page[page.index('id="bulk-form"') :]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)[1]
    done = web_client.post("/nominations/bulk-transitions", data={**data, "csrf_token": token})
    assert done.status_code == 200
    assert transitions(session, "forward") == 1


def test_bulk_transitions_through_the_api(client, session, web, three):
    api = Api(client, session, web)
    stale = {"id": three[2].id, "version": three[2].version - 1}
    items = [{"id": n.id, "version": n.version} for n in three[:2]] + [stale]
    response = api.post(
        "/nominations/bulk-transitions",
        "committee1",
        json={"trigger": "forward", "items": items, "data": {"comment": "同意推荐"}},
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["done"], body["refused"]) == (2, 1)
    first, second, third = body["items"]
    assert first["status"] == second["status"] == "done"
    assert first["state"]["name"] == "federation_review"
    assert third["status"] == "refused" and third["error"]["code"] == "conflict"
    assert third["state"]["name"] == "committee_review"
    assert transitions(session, "forward") == 2

    # With the places used, the quota's guard refuses the third; its reasons come back.
    again = api.get(f"/nominations/{three[2].id}", "committee1").json
    response = api.post(
        "/nominations/bulk-transitions",
        "committee1",
        json={
            "trigger": "forward",
            "items": [{"id": again["id"], "version": again["version"]}],
            "data": {"comment": "同意"},
        },
    )
    refused = response.json["items"][0]
    assert refused["error"]["code"] == "guard_blocked"
    assert any("名额" in reason for reason in refused["error"]["reasons"])

    bad = api.post(
        "/nominations/bulk-transitions",
        "committee1",
        json={"trigger": "forward", "items": [{"id": three[0].id}], "extra": 1},
    )
    assert bad.status_code == 422
    assert set(bad.json["error"]["fields"]) == {"extra", "items[0].version"}


# --- a return that names what must change, field by field ---------------------------------


def test_a_return_names_fields_and_the_unit_sees_each_beside_its_field(
    session, web, new_web_client, client, recommended
):
    n = recommended["甲工人"]
    committee1 = new_web_client()
    login(committee1, "committee1")
    page = committee1.get(f"/nominations/{n.id}").text
    card = page[page.index('data-trigger="return_to_unit"') :]
    card = card[: card.index("</form>")]
    assert 'name="field_remarks-id_number"' in card and "居民身份证号码" in card
    # A rejection asks for no revision: it offers no remarks by field.
    rejection = page[page.index('data-trigger="reject"') :]
    assert "field_remarks" not in rejection[: rejection.index("</form>")]

    fired = committee1.post(
        f"/nominations/{n.id}/transitions/return_to_unit",
        data={
            "version": n.version,
            "reason": "请核对身份证号码和职务。",
            "field_remarks-id_number": "校验位错误",
            "field_remarks-post": "请写全称",
            "field_remarks-phone": "",
        },
    )
    assert fired.status_code == 302
    session.expire_all()
    opinion = session.get(Nomination, n.id).evidence["opinions"][-1]
    assert opinion["field_remarks"] == {"id_number": "校验位错误", "post": "请写全称"}

    unit1 = new_web_client()
    login(unit1, "unit1")
    edit = unit1.get(f"/nominations/{n.id}/edit").text
    top = edit[edit.index('id="return-request"') : edit.index(f'action="/nominations/{n.id}/edit"')]
    assert "请核对身份证号码和职务。" in top
    assert "校验位错误" in field_block(edit, "id_number")
    assert "请写全称" in field_block(edit, "post")
    assert "校验位错误" not in field_block(edit, "name")
    # The nomination page lists the remarks with the opinion too.
    view = unit1.get(f"/nominations/{n.id}").text
    opinions = view[view.index('id="opinions"') :]
    assert "居民身份证号码" in opinions and "校验位错误" in opinions

    # And the API gives the unit the same remarks.
    api = Api(client, session, web)
    evidence = api.get(f"/nominations/{n.id}", "unit1").json["evidence"]
    assert evidence["opinions"][-1]["field_remarks"]["id_number"] == "校验位错误"


def test_remarks_on_unknown_fields_are_refused_naming_them(
    session, web, web_client, client, recommended
):
    n = recommended["甲工人"]
    login(web_client, "committee1")
    response = web_client.post(
        f"/nominations/{n.id}/transitions/return_to_unit",
        data={"version": n.version, "reason": "请修改", "field_remarks-shoe_size": "太大"},
    )
    assert response.status_code == 422
    card = response.text[response.text.index('data-trigger="return_to_unit"') :]
    assert "没有这一项:shoe_size" in field_block(card, "field_remarks")
    assert "请修改" in card  # what was typed is kept

    api = Api(client, session, web)
    body = {
        "trigger": "return_to_unit",
        "version": n.version,
        "reason": "请修改",
        "field_remarks": {"id_number": "校验位错误", "shoe_size": "太大"},
    }
    refused = api.post(f"/nominations/{n.id}/transitions", "committee1", json=body)
    assert refused.status_code == 422
    assert "shoe_size" in " ".join(refused.json["error"]["fields"]["field_remarks"])
    shaped = api.post(
        f"/nominations/{n.id}/transitions",
        "committee1",
        json={**body, "field_remarks": ["id_number"]},
    )
    assert shaped.status_code == 422 and "field_remarks" in shaped.json["error"]["fields"]
    session.expire_all()
    assert session.get(Nomination, n.id).state == "committee_review"

    ok = api.post(
        f"/nominations/{n.id}/transitions",
        "committee1",
        json={**body, "field_remarks": {"id_number": "校验位错误"}},
    )
    assert ok.status_code == 200, ok.json
    assert ok.json["evidence"]["opinions"][-1]["field_remarks"] == {"id_number": "校验位错误"}


def test_the_resubmission_shows_what_changed_beside_the_remarks(
    session, web, new_web_client, recommended
):
    n = recommended["甲工人"]
    u = web.users
    fire(
        n,
        "return_to_unit",
        u["committee1"],
        data={
            "reason": "请修改职务,并核对身份证号码。",
            "field_remarks": {"post": "请写全称", "id_number": "请核对"},
        },
    )
    session.commit()
    unit1 = new_web_client()
    login(unit1, "unit1")
    saved = unit1.post(
        f"/nominations/{n.id}/edit",
        data={
            **as_form(person_data(name="甲工人", post="北京市热力集团有限责任公司 运行班班长")),
            "version": n.version,
        },
    )
    assert saved.status_code == 302
    session.expire_all()
    fire(session.get(Nomination, n.id), "resubmit", u["unit1"], data={"comment": "已修改。"})
    session.commit()

    committee1 = new_web_client()
    login(committee1, "committee1")
    page = committee1.get(f"/nominations/{n.id}").text
    revision = page[page.index('id="since-return"') : page.index('id="nominee-data"')]
    assert "请修改职务,并核对身份证号码。" in revision
    changes = revision[revision.index('id="revision-changes"') :]
    changed = changes[changes.index("工作单位及职务") :]
    changed = changed[: changed.index("</tr>")]
    assert "北京热力集团 运行班班长" in changed  # as it was when returned
    assert "北京市热力集团有限责任公司 运行班班长" in changed  # now
    assert "请写全称" in changed  # the remark beside the change
    unchanged = revision[revision.index('id="remarks-unchanged"') :]
    assert "居民身份证号码" in unchanged and "请核对" in unchanged


def test_opinions_of_each_level_reach_the_history_and_the_printed_form(
    session, web, web_client, recommended
):
    from test_print_form import boxes, form_text

    n = recommended["甲工人"]
    u = web.users
    fire(
        n,
        "return_to_unit",
        u["committee1"],
        data={"reason": "请核对身份证号码。", "field_remarks": {"id_number": "校验位错误"}},
    )
    fire(n, "resubmit", u["unit1"], data={"comment": "已核对。"})
    fire(n, "forward", u["committee1"], data={"comment": "同意推荐,报区总工会。"})
    session.commit()
    login(web_client, "committee1")
    history = web_client.get(f"/api/v1/nominations/{n.id}/history").json["items"]
    returned = next(e for e in history if e["action"] == "transition.return_to_unit")
    assert returned["actor"] == "committee1" and returned["comment"] == "请核对身份证号码。"
    assert returned["after"]["data"]["field_remarks"] == {"id_number": "校验位错误"}
    page = web_client.get(f"/nominations/{n.id}").text
    opinions = page[page.index('id="opinions"') :]
    assert "校验位错误" in opinions and "同意推荐,报区总工会。" in opinions
    # The printed form carries the forward's opinion, signed and dated; a return is a
    # working note of the round before, not an opinion to sign (printform's rule).
    text = form_text(web_client, n.id)
    assert "同意推荐,报区总工会。" in boxes(text)["工委审核意见"]
    assert "2026年11月18日" in boxes(text)["工委审核意见"]
    assert "校验位错误" not in text
