"""The calendar's three grades in use: provisional periods, entering a year, confirming one."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from test_notice_board import _pdf_streams, _pdf_unicode_text

from nomination.actors import SYSTEM
from nomination.audit.chain import verify_chain
from nomination.calendar import store
from nomination.calendar.operations import (
    confirm_year,
    parse_arrangement,
    remind_missing,
    set_arrangement,
)
from nomination.calendar.queries import missing_years
from nomination.engine import apply_due_timers, fire
from nomination.errors import Conflict, GuardBlocked, InvalidData
from nomination.models import (
    AuditEvent,
    CalendarYear,
    ConsultationRequest,
    NoticeEntry,
    Notification,
)

from factories import NOW, recommendation
from test_api_support import Api
from test_web_support import as_form, login

pytest_plugins = ["test_web_support"]

BEIJING = ZoneInfo("Asia/Shanghai")
#: Monday 28 December 2026, 10:00 in Beijing: a five-day notice runs into 2027.
DECEMBER = datetime(2026, 12, 28, 10, tzinfo=BEIJING)
SOURCE = "国办发明电〔2026〕7号"
#: The statutory days of 2027 that fall on weekdays: every arrangement gives them off.
STATUTORY = [
    "2027-01-01",
    "2027-02-05",
    "2027-02-08",
    "2027-04-05",
    "2027-06-09",
    "2027-09-15",
    "2027-10-01",
]


def bj(*args: int) -> datetime:
    return datetime(*args, tzinfo=BEIJING)


def to_notice(n, tree, published_at: datetime):
    """Walk ``n`` through every level at the fixed clock; publish it at ``published_at``."""
    u = tree.users
    fire(n, "recommend", u["unit1"], data=recommendation(), now=NOW)
    fire(n, "forward", u["committee1"], data={"comment": "同意"}, now=NOW)
    fire(n, "accept", u["federation"], data={"comment": "符合条件"}, now=NOW)
    fire(n, "consultation_clear", u["federation"], data={"comment": "无异议"}, now=NOW)
    fire(n, "select", u["federation"], data={"comment": "评审通过"}, now=published_at)
    assert n.state == "public_notice"
    return n


@pytest.fixture
def on_notice(session, tree, create_nomination_for):
    """A nomination put on public notice on 28 December 2026, for five working days."""
    n = to_notice(create_nomination_for(), tree, DECEMBER)
    session.flush()
    return n


@pytest.fixture
def api(client, session, tree) -> Api:
    return Api(client, session, tree)


def enter_2027(session, *, actor=SYSTEM, extra=(), workdays=(), now=None):
    """Enter 2027's arrangement: the statutory weekdays off and ``extra`` ones."""
    return set_arrangement(
        session,
        actor=actor,
        year=2027,
        holidays=[*STATUTORY, *extra],
        workdays=list(workdays),
        source=SOURCE,
        now=now,
    )


def entry_of(session, nomination) -> NoticeEntry:
    return session.scalars(
        select(NoticeEntry).where(NoticeEntry.nomination_id == nomination.id)
    ).one()


def events(session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_a_notice_into_a_provisional_year_is_provisional(session, on_notice):
    # Dec 28, 29, 30, 31, (Jan 1 statutory, weekend), Jan 4.
    assert on_notice.timer_due_at == bj(2027, 1, 4, 17)
    assert on_notice.timer_provisional is True
    entry = entry_of(session, on_notice)
    assert entry.ends_at == bj(2027, 1, 4, 17)
    assert entry.ends_provisional is True
    assert entry.working_days == 5


def test_a_provisional_notice_does_not_close_at_its_provisional_end(session, on_notice):
    assert apply_due_timers(session, bj(2027, 1, 5, 9)) == []
    assert on_notice.state == "public_notice"
    assert entry_of(session, on_notice).closed_at is None


def test_a_notice_within_an_official_year_is_not_provisional(session, tree, create_nomination_for):
    n = to_notice(create_nomination_for(), tree, NOW)
    assert n.timer_provisional is False
    assert apply_due_timers(session, n.timer_due_at + timedelta(seconds=1)) == [n]
    assert n.state != "public_notice"


def test_a_holiday_entered_inside_the_notice_moves_its_end_by_one_working_day(
    session, tree, on_notice
):
    moved = enter_2027(
        session, extra=["2027-01-04"], actor=tree.users["admin"], now=bj(2026, 12, 29, 9)
    )
    assert {r.period for r in moved} == {"timer", "notice"}
    assert on_notice.timer_due_at == bj(2027, 1, 5, 17)
    assert on_notice.timer_provisional is False
    entry = entry_of(session, on_notice)
    assert (entry.ends_at, entry.ends_provisional) == (bj(2027, 1, 5, 17), False)
    # One event for the year, one per period, in the same transaction; the chain still holds.
    [year_event] = events(session, "calendar.set")
    assert year_event.after["holidays"] == sorted([*STATUTORY, "2027-01-04"])
    recounts = events(session, "calendar.recount")
    assert sorted(e.after["period"] for e in recounts) == ["notice", "timer"]
    assert all(e.entity_id == str(on_notice.id) for e in recounts)
    assert verify_chain(session).ok
    # The unit and the federation are told of the new end.
    told = {
        n.user.username
        for n in session.scalars(select(Notification).where(Notification.key.like("calendar:%")))
    }
    assert {"unit1", "federation"} <= told
    # Now official: the notice closes at its new end, not before.
    assert apply_due_timers(session, bj(2027, 1, 5, 16, 59)) == []
    assert apply_due_timers(session, bj(2027, 1, 5, 17, 1)) == [on_notice]


def test_a_weekend_working_day_shortens_the_notice(session, tree, on_notice):
    enter_2027(session, workdays=["2027-01-02"], now=bj(2026, 12, 29, 9))
    # Dec 28, 29, 30, 31, Sat Jan 2 (worked).
    assert on_notice.timer_due_at == bj(2027, 1, 2, 17)
    assert entry_of(session, on_notice).ends_at == bj(2027, 1, 2, 17)


def test_a_shortened_notice_keeps_the_next_working_day_after_the_entry(session, on_notice):
    # Entered on Sunday 3 January: the official count (Sat 2 January worked) ended the notice
    # on the 2nd, but the public was told Monday 4th; it keeps that day, not a second less.
    entered = bj(2027, 1, 3, 10)
    moved = enter_2027(session, workdays=["2027-01-02"], now=entered)
    assert {r.period for r in moved} == {"timer", "notice"}
    assert on_notice.timer_due_at == bj(2027, 1, 4, 17)
    assert on_notice.timer_provisional is False
    assert apply_due_timers(session, entered + timedelta(minutes=1)) == []
    assert apply_due_timers(session, bj(2027, 1, 4, 17, 1)) == [on_notice]


def test_a_recounted_end_is_never_before_the_entry():
    from nomination.calendar.operations import recounted_end
    from nomination.calendar.workdays import Arrangement, WorkCalendar

    start = bj(2026, 12, 28, 10)
    provisional = WorkCalendar()
    old = provisional.period_end(start, 11)
    assert old == bj(2027, 1, 12, 17)
    worked = {date(2027, 1, 2), date(2027, 1, 3)}
    official = WorkCalendar({2027: Arrangement(frozenset({date(2027, 1, 1)}), frozenset(worked))})
    # Counted officially it ends on Friday 8 January at 17:00.
    assert recounted_end(official, start, 11, old, bj(2027, 1, 7, 9)) == (bj(2027, 1, 8, 17), False)
    # Entered after that: the close of the next working day, Monday 11th.
    assert recounted_end(official, start, 11, old, bj(2027, 1, 8, 18)) == (
        bj(2027, 1, 11, 17),
        False,
    )
    # Entered after the announced end too: it ends at the entry.
    late = bj(2027, 1, 13, 9)
    assert recounted_end(official, start, 11, old, late) == (late, False)


def test_confirming_the_year_lets_the_provisional_notice_close(session, tree, on_notice):
    with pytest.raises(InvalidData) as err:
        confirm_year(session, actor=tree.users["admin"], year=2027, reason=" ")
    assert "reason" in err.value.fields
    changed = confirm_year(
        session, actor=tree.users["admin"], year=2027, reason="通知延迟发布,公示须按期结束"
    )
    assert {r.period for r in changed} == {"timer", "notice"}
    # The end stays; only its grade changed.
    assert on_notice.timer_due_at == bj(2027, 1, 4, 17)
    assert on_notice.timer_provisional is False
    [event] = events(session, "calendar.confirm")
    assert event.comment == "通知延迟发布,公示须按期结束"
    assert apply_due_timers(session, bj(2027, 1, 4, 17, 1)) == [on_notice]
    # Confirmed once: a second confirmation is a conflict, an official arrangement still enters.
    with pytest.raises(Conflict):
        confirm_year(session, actor=SYSTEM, year=2027, reason="again")
    enter_2027(session)
    assert store.current(session).grade(2027).value == "official"


def test_only_administrators_enter_the_calendar(session, tree):
    from nomination.errors import PermissionDenied

    for name in ("federation", "auditor", "unit1"):
        with pytest.raises(PermissionDenied):
            confirm_year(session, actor=tree.users[name], year=2027, reason="x")


@pytest.mark.parametrize(
    ("holidays", "workdays", "field", "says"),
    [
        (["2027-01-02"], [], "holidays", "2027-01-02 是周末"),
        (STATUTORY, ["2027-01-04"], "workdays", "2027-01-04 是工作日"),
        (["2026-12-31"], [], "holidays", "2026-12-31 不在 2027 年"),
        (["1 January"], [], "holidays", "不是日期"),
        ([], [], "holidays", "至少应有一个"),
        # 元旦 falls on a Friday in 2027: leaving it out would shorten every notice over it.
        (STATUTORY[1:], [], "holidays", "缺少法定节假日 2027-01-01"),
        # 6 February is a Saturday of 春节: never a working day.
        (STATUTORY, ["2027-02-06"], "workdays", "2027-02-06 是法定节假日"),
    ],
)
def test_an_arrangement_is_validated_field_by_field(holidays, workdays, field, says):
    with pytest.raises(InvalidData) as err:
        parse_arrangement(2027, holidays, workdays)
    assert says in " ".join(err.value.fields[field])


def test_a_range_names_its_weekdays_or_its_weekend_days():
    arrangement = parse_arrangement(
        2027, [*STATUTORY, "2027-02-05/2027-02-12"], ["2027-02-13/2027-02-21"]
    )
    # Fri 5 to Fri 12 February: the weekdays 5, 8, 9, 10, 11, 12; five more statutory days.
    assert len(arrangement.holidays) == 11
    # Sat 13 to Sun 21 February: its four weekend days.
    assert len(arrangement.workdays) == 4


def test_a_year_outside_the_calendar_is_refused():
    with pytest.raises(InvalidData) as err:
        parse_arrangement(2000, ["2000-01-03"], [])
    assert "year" in err.value.fields


def test_a_unit_notice_dated_2000_is_a_date_error(session, tree, create_nomination_for):
    n = create_nomination_for()
    with pytest.raises(GuardBlocked) as err:
        fire(
            n,
            "recommend",
            tree.users["unit1"],
            data=recommendation(notice_start="2000-11-04", notice_end="2000-11-10"),
            now=NOW,
        )
    message = str(err.value)
    assert "2000-11-04" in message
    assert "holiday calendar" not in message


def test_the_warning_starts_on_the_first_of_november(session, tree):
    cal = store.current(session)
    assert missing_years(cal, bj(2026, 10, 31, 12)) == []
    assert missing_years(cal, bj(2026, 11, 1, 0, 1)) == [2027]
    # A confirmed year still lacks its arrangement; an entered one does not.
    confirm_year(session, actor=SYSTEM, year=2027, reason="通知未发布")
    assert missing_years(store.current(session), bj(2026, 12, 1, 9)) == [2027]
    enter_2027(session)
    assert missing_years(store.current(session), bj(2026, 12, 1, 9)) == []


def test_the_reminder_goes_to_administrators_once_a_day(session, tree):
    cal = store.current(session)
    first = remind_missing(session, cal, bj(2026, 11, 2, 9))
    assert first == [2027]
    assert remind_missing(session, cal, bj(2026, 11, 2, 15)) == []
    assert remind_missing(session, cal, bj(2026, 11, 3, 9)) == [2027]
    keys = {
        (n.user.username, n.key)
        for n in session.scalars(select(Notification).where(Notification.key.like("calendar:%")))
    }
    admin = {k for u, k in keys if u == "admin"}
    assert len(admin) == 2
    assert {k for u, k in keys if u == "federation"} == {"calendar:missing:2027"}


# --- in the browser's place: the pages and the API ---------------------------------------------


def test_the_board_print_pdf_and_api_say_provisional(session, on_notice, api, web_client):
    board = web_client.get("/notices/").text
    assert "data-provisional" in board
    assert "2027年放假安排尚未公布" in board
    base = f"/notices/{on_notice.campaign_id}/individual"
    printed = web_client.get(f"{base}/print").text
    assert "(暂定)" in printed
    assert "2027年放假安排尚未公布" in printed
    pdf = web_client.get(f"{base}/notice.pdf")
    assert pdf.mimetype == "application/pdf"
    characters = _pdf_unicode_text(_pdf_streams(pdf.data))
    assert "暂" in characters
    assert "定" in characters
    [item] = api.get("/notices").json["items"]
    assert item["provisional"] is True
    assert "2027" in item["provisional_reason"]["zh"]
    detail = api.get(f"/nominations/{on_notice.id}", "federation").json
    assert detail["timer"]["provisional"] is True
    login(web_client, "federation")
    page = web_client.get(f"/nominations/{on_notice.id}").text
    assert 'id="stage-ends"' in page
    assert "data-provisional" in page.split('id="stage-ends"')[1].split("</dd>")[0]
    dashboard = web_client.get("/").text
    assert "data-provisional" in dashboard


def test_the_administrator_previews_then_saves(session, tree, on_notice, web_client):
    login(web_client, "admin")
    page = web_client.get("/admin/calendar/")
    assert page.status_code == 200
    assert 'data-year="2027" data-grade="provisional"' in page.text
    typed = {"holidays": "\n".join([*STATUTORY, "2027-01-04"]), "workdays": "", "source": SOURCE}
    preview = web_client.post("/admin/calendar/2027", data={**typed, "action": "preview"})
    assert preview.status_code == 200
    assert 'data-period="notice"' in preview.text
    # Nothing was saved by the preview.
    assert store.current(session).grade(2027).value == "provisional"
    assert on_notice.timer_due_at == bj(2027, 1, 4, 17)
    saved = web_client.post("/admin/calendar/2027", data={**typed, "action": "save"})
    assert saved.status_code == 302
    session.expire_all()
    assert on_notice.timer_due_at == bj(2027, 1, 5, 17)
    assert web_client.get("/admin/calendar/2027").text.count('data-grade="official"') == 1


def test_a_wrong_date_is_shown_beside_its_field_and_nothing_typed_is_lost(
    session, tree, web_client
):
    login(web_client, "admin")
    typed = {"holidays": "2027-01-01\n2027-01-02", "workdays": "", "source": SOURCE}
    page = web_client.post("/admin/calendar/2027", data={**typed, "action": "save"})
    assert page.status_code == 422
    assert "2027-01-02 是周末" in page.text
    assert "2027-01-01\n2027-01-02" in page.text
    assert SOURCE in page.text
    assert store.current(session).grade(2027).value == "provisional"


def test_a_stale_form_is_a_conflict(session, tree, web_client):
    login(web_client, "admin")
    enter_2027(session)
    session.commit()
    page = web_client.post(
        "/admin/calendar/2027",
        data={
            "holidays": "\n".join(STATUTORY),
            "workdays": "",
            "source": SOURCE,
            "version": "",
            "action": "save",
        },
    )
    assert page.status_code == 409
    assert "刚被他人修改" in page.text
    # Sent again as shown (with the version the page now carries), it goes through.
    version = session.get(CalendarYear, 2027).event_hash
    assert f'value="{version}"' in page.text
    again = web_client.post(
        "/admin/calendar/2027",
        data={
            "holidays": "\n".join([*STATUTORY, "2027-01-04"]),
            "workdays": "",
            "source": SOURCE,
            "version": version,
            "action": "save",
        },
    )
    assert again.status_code == 302


@pytest.mark.parametrize("username", ["federation", "auditor", "unit1"])
def test_the_calendar_pages_are_for_administrators(tree, web_client, username):
    login(web_client, username)
    assert web_client.get("/admin/calendar/").status_code == 403
    assert (
        web_client.post("/admin/calendar/2027/confirm", data=as_form({"reason": "x"})).status_code
        == 403
    )


def test_the_dashboard_warns_administrators_and_the_federation(tree, web_client, app):
    app.config["FROZEN_TIME"], before = (
        bj(2026, 11, 20, 9).astimezone(UTC),
        app.config["FROZEN_TIME"],
    )
    try:
        login(web_client, "federation")
        assert 'id="calendar-missing"' in web_client.get("/").text
        other = web_client.__class__(app, app.response_class, use_cookies=True)
        login(other, "unit1")
        assert 'id="calendar-missing"' not in other.get("/").text
    finally:
        app.config["FROZEN_TIME"] = before


def test_a_unit_notice_on_a_provisional_year_is_counted_and_said(
    session, tree, create_nomination_for, web_client
):
    tree.campaign.nomination_deadline = date(2027, 2, 26)
    n = create_nomination_for()
    # Mon 4 to Fri 8 January 2027: five working days on the statutory holidays.
    fire(
        n,
        "recommend",
        tree.users["unit1"],
        data=recommendation(notice_start="2027-01-04", notice_end="2027-01-08"),
        now=bj(2027, 1, 11, 10),
    )
    session.flush()
    [event] = [e for e in events(session, "transition.recommend") if e.entity_id == str(n.id)]
    assert event.after["unit_notice_calendar"] == {"working_days": 5, "provisional_years": [2027]}
    session.commit()
    login(web_client, "unit1")
    page = web_client.get(f"/nominations/{n.id}").text
    assert 'id="unit-notice-provisional"' in page


@pytest.fixture
def consulting(session, tree, create_nomination_for):
    """A nomination whose consultation opened on 28 December 2026: answers due in 2027."""
    tree.campaign.consultation_rules = [{"when": {"kind": ["individual"]}, "departments": ["D-HR"]}]
    n = create_nomination_for()
    u = tree.users
    fire(n, "recommend", u["unit1"], data=recommendation(), now=NOW)
    fire(n, "forward", u["committee1"], data={"comment": "同意"}, now=NOW)
    fire(n, "accept", u["federation"], data={"comment": "符合条件"}, now=DECEMBER)
    session.flush()
    assert n.state == "consultation"
    [request] = session.scalars(
        select(ConsultationRequest).where(ConsultationRequest.nomination_id == n.id)
    ).all()
    assert (request.due_at, request.due_provisional) == (bj(2027, 1, 4, 17), True)
    return n, request


def test_a_provisional_answer_deadline_is_not_overdue(session, consulting):
    from nomination.nominations.queries import deadlines
    from nomination.notifications import sweep

    n, request = consulting
    after = bj(2027, 1, 5, 9)
    assert request.overdue(after) is False
    assert deadlines(session, [n.id], after)[n.id].overdue is False
    sweep(session, after)
    assert not session.scalars(select(Notification).where(Notification.kind == "overdue")).all()


def test_a_department_is_told_of_its_new_deadline_on_its_request_page(session, tree, consulting):
    n, request = consulting
    enter_2027(session, extra=["2027-01-04"], actor=tree.users["admin"], now=bj(2026, 12, 29, 9))
    assert (request.due_at, request.due_provisional) == (bj(2027, 1, 5, 17), False)
    told = {
        (m.user.username, m.url)
        for m in session.scalars(select(Notification).where(Notification.key.like("calendar:%")))
    }
    assert ("dept-hr", f"/consultations/{request.id}") in told
    assert ("federation", f"/nominations/{n.id}") in told
    # The administrator who entered it is not told of their own change.
    assert not [u for u, _ in told if u == "admin"]


def test_the_feed_says_when_a_notice_end_moved(session, tree, on_notice, web_client):
    before = web_client.get("/notices/feed.atom").text
    # (The Atom namespace's prefix depends on what else the process registered.)
    assert "updated>2026-12-28T02:00:00Z</" in before
    enter_2027(session, extra=["2027-01-04"], now=bj(2026, 12, 29, 9))
    session.commit()
    after = web_client.get("/notices/feed.atom").text
    assert "updated>2026-12-29T01:00:00Z</" in after
    assert "暂定" not in after


def test_a_notice_interrupted_while_provisional_says_so_in_the_past(
    session, tree, on_notice, web_client
):
    from nomination.actors import PUBLIC

    from factories import OBJECTION

    fire(on_notice, "object", PUBLIC, data=dict(OBJECTION), now=bj(2026, 12, 29, 9))
    session.commit()
    entry = entry_of(session, on_notice)
    assert entry.closed_at is not None and entry.ends_provisional
    archive = web_client.get(f"/notices/archive/{on_notice.campaign_id}/individual").text
    assert "发布时2027年放假安排尚未公布" in archive
    assert "公布后重新计算" not in archive
