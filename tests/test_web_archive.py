"""The archive page: an approval's record appears, scoped like nominations."""

from __future__ import annotations

import re

from nomination.engine import apply_due_timers, fire

from factories import DECIDED_AT
from test_web_support import login, walk_to_notice

pytest_plugins = ["test_web_support"]


def approve(session, tree, nomination, clock):
    walk_to_notice(nomination, tree)
    apply_due_timers(session, nomination.timer_due_at)
    clock(DECIDED_AT)  # the decision follows the notice
    fire(
        nomination,
        "approve",
        tree.users["approver"],
        data={"decision_number": "京工发〔2026〕3号", "decision_date": "2026-11-27"},
    )
    session.commit()


def test_archive_lists_the_approved_nominee_to_its_scope(
    session, web, create_nomination_for, new_web_client, clock
):
    n = create_nomination_for()
    approve(session, web, n, clock)

    federation = new_web_client()
    login(federation, "federation")
    page = federation.get("/archive/").get_data(as_text=True)
    assert "张建国" in page and "京工发〔2026〕3号" in page

    own = new_web_client()
    login(own, "unit1")
    assert "张建国" in own.get("/archive/").get_data(as_text=True)
    view = own.get(f"/nominations/{n.id}").get_data(as_text=True)
    assert 'id="honour-record"' in view

    other = new_web_client()
    login(other, "unit3")
    assert "张建国" not in other.get("/archive/").get_data(as_text=True)

    judge = new_web_client()
    login(judge, "judge1")
    assert judge.get("/archive/").status_code == 403


def test_the_nomination_opens_its_record_under_the_one_record_number(
    session, web, create_nomination_for, new_web_client, clock
):
    n = create_nomination_for()
    approve(session, web, n, clock)
    own = new_web_client()
    login(own, "unit1")
    view = own.get(f"/nominations/{n.id}").get_data(as_text=True)
    record = view[view.index('id="honour-record"') :]
    record = record[: record.index("</dd>")]
    person_id = int(re.search(r'href="/archive/people/(\d+)"', record)[1])
    # The number shown is the record's own, under the archive's name for it.
    assert f"档案号 {person_id}" in record and "档案编号" not in view
    person = own.get(f"/archive/people/{person_id}").get_data(as_text=True)
    assert f'data-record="{person_id}"' in person and "档案号" in person
    # One label for the ID number: the form's; and the phone as it was written.
    assert "居民身份证号码" in person and "公民身份号码" not in person
    assert "13910000000" in person and "+86" not in person


def test_the_record_before_it_existed_says_there_was_none(
    session, web, create_nomination_for, new_web_client, clock
):
    n = create_nomination_for()
    approve(session, web, n, clock)
    own = new_web_client()
    login(own, "unit1")
    view = own.get(f"/nominations/{n.id}").get_data(as_text=True)
    person_id = int(re.search(r'href="/archive/people/(\d+)"', view)[1])
    before = own.get(f"/archive/people/{person_id}?as_of=2020-01-01").get_data(as_text=True)
    assert "data-not-yet" in before and "还没有此人的记录" in before
    assert 'id="personal"' not in before and 'id="honours"' not in before
    since = own.get(f"/archive/people/{person_id}?as_of=2026-12-31").get_data(as_text=True)
    assert "data-not-yet" not in since and 'id="personal"' in since
