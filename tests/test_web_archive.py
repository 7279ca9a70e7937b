"""The archive page: an approval's record appears, scoped like nominations."""

from __future__ import annotations

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
