"""The campaign overview: where the nominations stand, what is late, how the review goes.

URL table:

    /campaigns/<id>/overview?kind=    counts by state × working committee with totals, two bar
                                      charts (by state, by committee), the overdue nominations,
                                      the departments' consultation, the selection rounds, and
                                      a link to the composition panel

Who sees it is the composition panel's rule (``permissions.composition_scopes``): the
federation's reviewers, approvers, auditors and administrators see the whole campaign; a
working committee's reviewers see their own committee's part only (its rows, its overdue
nominations, its consultation); anyone else gets 403. Every count is taken from
``visible_nominations``, so nothing outside the reader's scope is counted.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import login_required
from sqlalchemy import func, select

from nomination import db, engine
from nomination.db import utcnow
from nomination.engine.definitions import StateDef
from nomination.i18n import pick
from nomination.models import Campaign, ConsultationRequest, Organisation
from nomination.models.consultations import CONSULTATION_STATUSES
from nomination.models.selection import ROUND_STATUSES, SelectionRound
from nomination.nominations.queries import deadlines, visible_nominations
from nomination.permissions import composition_scopes
from nomination.web.charts import Bar, horizontal_bars
from nomination.web.setup import org_name, signed_in_user, tr

bp = Blueprint("overview", __name__)

#: At most this many overdue nominations are listed (the count says how many there are).
OVERDUE_LIMIT = 100


def _states(campaign: Campaign, kind: str | None) -> dict[str, StateDef]:
    """Return the states of the campaign's awards, in definition order (open ones first)."""
    states: dict[str, StateDef] = {}
    for award in campaign.awards:
        if kind and award.kind != kind:
            continue
        wf = engine.workflow_by_hash(db.session, award.definition_hash)
        ordered = [s for s in wf.states.values() if not s.terminal]
        ordered += [s for s in wf.states.values() if s.terminal]
        for s in ordered:
            states.setdefault(s.name, s)
    return states


def _committees(federation: Organisation, scopes: str | list[str]) -> list[Organisation]:
    """Return the federation's working committees the reader may see, in tree order."""
    committees = db.session.scalars(
        select(Organisation)
        .where(Organisation.kind == "committee", Organisation.path.startswith(federation.path))
        .order_by(Organisation.path)
    ).all()
    if scopes == "all":
        return list(committees)
    return [c for c in committees if any(c.path.startswith(p) for p in scopes)]


def _by_committee(
    scoped: Any, committees: list[Organisation]
) -> tuple[dict[int | None, dict[str, int]], dict[str, int]]:
    """Return the counts per state of each committee (None: units under no committee).

    Also the counts per state over all of them.
    """
    counted = db.session.execute(
        select(Organisation.path, scoped.c.state, func.count())
        .join(Organisation, Organisation.id == scoped.c.unit_id)
        .group_by(Organisation.path, scoped.c.state)
    ).all()
    table: dict[int | None, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    totals: dict[str, int] = defaultdict(int)
    for path, state, count in counted:
        committee = next((c for c in committees if path.startswith(c.path)), None)
        table[committee.id if committee else None][state] += count
        totals[state] += count
    return table, totals


def _consultation(scoped: Any) -> dict[str, int]:
    """Return the opinion requests of the nominations in scope by status, and the overdue."""
    of_scope = ConsultationRequest.nomination_id.in_(select(scoped.c.id))
    by_status = dict(
        db.session.execute(
            select(ConsultationRequest.status, func.count())
            .where(of_scope)
            .group_by(ConsultationRequest.status)
        ).all()
    )
    counts = {status: by_status.get(status, 0) for status in CONSULTATION_STATUSES}
    counts["overdue"] = db.session.execute(
        select(func.count(ConsultationRequest.id)).where(
            of_scope,
            ConsultationRequest.overdue_at(utcnow()),
        )
    ).scalar_one()
    return counts


def _rounds(campaign: Campaign, kind: str | None) -> dict[str, int]:
    """Return the campaign's selection rounds by status."""
    query = select(SelectionRound.status, func.count()).where(
        SelectionRound.campaign_id == campaign.id
    )
    if kind:
        query = query.where(SelectionRound.kind == kind)
    found = dict(db.session.execute(query.group_by(SelectionRound.status)).all())
    return {status: found.get(status, 0) for status in ROUND_STATUSES}


@bp.route("/campaigns/<int:campaign_id>/overview")
@login_required
def campaign(campaign_id: int) -> ResponseReturnValue:
    """Show the campaign's overview, limited to what the reader may see."""
    user = signed_in_user()
    row = db.session.get(Campaign, campaign_id)
    if row is None:
        abort(404)
    federation = row.federation
    scopes = composition_scopes(user, federation)
    if not scopes:
        abort(403, tr("您不能查看活动总览", "You may not see the campaign overview"))
    kind = request.args.get("kind")
    kind = kind if kind in engine.award_kinds() else None
    # Lazy timers: what is overdue is what no tick or read has fired yet.
    engine.apply_due_timers(db.session)

    scoped = visible_nominations(user, campaign_id=row.id, kind=kind).order_by(None).subquery()
    committees = _committees(federation, scopes)
    table, totals = _by_committee(scoped, committees)
    states = {name: s for name, s in _states(row, kind).items() if totals.get(name)}
    # States a nomination is in that no current definition names (an older version) still count.
    columns = [*states, *(name for name in totals if name not in states)]
    rows: list[dict[str, Any]] = [
        {"name": org_name(c), "id": c.id, "counts": table.get(c.id, {})} for c in committees
    ]
    if None in table:
        rows.append(
            {"name": tr("直属单位", "Units under no committee"), "id": None, "counts": table[None]}
        )
    for r in rows:
        r["total"] = sum(r["counts"].values())

    overdue = db.session.scalars(
        visible_nominations(user, campaign_id=row.id, kind=kind, overdue=True).limit(OVERDUE_LIMIT)
    ).all()
    overdue_total = db.session.scalar(
        select(func.count()).select_from(
            visible_nominations(user, campaign_id=row.id, kind=kind, overdue=True)
            .order_by(None)
            .subquery()
        )
    )
    due = deadlines(db.session, [n.id for n in overdue])

    def label(name: str) -> str:
        return pick(states[name].label) if name in states else name

    state_chart = horizontal_bars(
        [
            Bar(label(name), totals[name], states[name].badge if name in states else "")
            for name in columns
        ],
        title=tr("各状态推荐数", "Nominations by state"),
        chart_id="chart-states",
    )
    committee_chart = horizontal_bars(
        [Bar(r["name"], r["total"], "primary") for r in rows],
        title=tr("各工委推荐数", "Nominations by working committee"),
        chart_id="chart-committees",
    )
    return render_template(
        "overview/campaign.html",
        campaign=row,
        kind=kind,
        kinds=[a.kind for a in row.awards],
        whole=scopes == "all",
        columns=[(name, label(name), states.get(name)) for name in columns],
        rows=rows,
        totals=totals,
        total=sum(totals.values()),
        overdue=[(n, engine.workflow_for(n).state(n.state), due.get(n.id)) for n in overdue],
        overdue_total=overdue_total,
        # A committee learns of its nominations' consultation only through the decision.
        consultation=_consultation(scoped) if scopes == "all" else None,
        rounds=_rounds(row, kind),
        state_chart=state_chart,
        committee_chart=committee_chart,
    )
