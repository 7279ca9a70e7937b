"""The campaign overview: where the nominations stand, what is late, how the review goes.

URL table:

    /campaigns/<id>/overview?kind=    counts by state × working committee with totals, two bar
                                      charts (by state, by committee), the overdue nominations,
                                      the departments' consultation, the selection rounds, and
                                      a link to the composition panel

The workbench's "my work" panel (``role_work``) and the navigation bar's badges
(``work_badges``) are made here too: per role the user holds, what waits for them, each with a
link to the filtered list where it is done.

Who sees the overview is the composition panel's rule (``permissions.composition_scopes``): the
federation's reviewers, approvers, auditors and administrators see the whole campaign; a
working committee's reviewers see their own committee's part only (its rows, its overdue
nominations, its consultation); anyone else gets 403. Every count is taken from
``visible_nominations``, so nothing outside the reader's scope is counted.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, abort, g, has_request_context, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import func, select

from nomination import db, engine
from nomination.consultations.operations import department_counts
from nomination.db import utcnow
from nomination.engine.definitions import StateDef
from nomination.i18n import pick
from nomination.labels import ROLE_LABELS
from nomination.models import ROLES, Campaign, ConsultationRequest, Nomination, Organisation
from nomination.models.consultations import CONSULTATION_STATUSES
from nomination.models.selection import ROUND_STATUSES, SelectionRound
from nomination.nominations.queries import deadlines, visible_nominations, work_queue
from nomination.permissions import composition_scopes
from nomination.selection.queries import pending_ballots
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


# --- what waits for the user, per role -------------------------------------------------------

#: At most this many nominations are examined for the user's queue (as on the workbench).
QUEUE_LIMIT = 200


@dataclass(frozen=True)
class WorkLine:
    """One kind of work waiting: how many, and the link to the filtered list to do it."""

    key: str
    label: str
    url: str
    count: int | None = None
    overdue: int = 0


@dataclass
class RoleWork:
    """What waits for the user in one role they hold."""

    role: str
    label: str
    lines: list[WorkLine] = field(default_factory=list)
    #: Said when nothing waits.
    idle: str = ""

    @property
    def count(self) -> int:
        """Return how many items wait in this role."""
        return sum(line.count or 0 for line in self.lines)


def _nomination_roles() -> set[str]:
    """Return the roles some transition of the current definitions is for."""
    return {
        role
        for wf in engine.current_definitions().values()
        for t in wf.transitions
        for role in t.roles
    }


def acts_on_nominations(user: Any) -> bool:
    """Return whether ``user`` holds a role some transition of a nomination is for."""
    return bool({r.role for r in user.roles} & _nomination_roles())


def queue_of(user: Any) -> list[tuple[Nomination, list[engine.Available]]]:
    """Return the user's queue of nominations (``work_queue``), once per request."""
    cache = g.setdefault("work_queue", {})
    if user.id not in cache:
        cache[user.id] = work_queue(db.session, user, QUEUE_LIMIT)
    return list(cache[user.id])


def _queue_lines(user: Any, role: str) -> list[WorkLine]:
    """Return the user's queue in ``role``, by state, each linking to the queue filtered to it."""
    by_state: dict[str, int] = defaultdict(int)
    labels: dict[str, str] = {}
    for nomination, options in queue_of(user):
        if any(o.role == role for o in options):
            by_state[nomination.state] += 1
            labels.setdefault(
                nomination.state,
                pick(engine.workflow_for(nomination).state(nomination.state).label),
            )
    return [
        WorkLine(
            key=f"state:{state}",
            label=labels[state],
            count=count,
            url=url_for("nominations.dashboard", state=state, _anchor="queue"),
        )
        for state, count in by_state.items()
    ]


def role_work(user: Any) -> list[RoleWork]:
    """Return, per role ``user`` holds, what waits for them; roles with work first."""
    held = {r.role for r in user.roles}
    acting = _nomination_roles()
    work: list[RoleWork] = []
    for role in (r for r in ROLES if r in held):
        item = RoleWork(role, pick(ROLE_LABELS[role]))
        if role == "department":
            counts = department_counts(db.session, user, now=utcnow())
            item.lines.append(
                WorkLine(
                    "consultation",
                    tr("待回复的征求意见函", "Opinion requests to answer"),
                    url_for("consultations.index", status="open"),
                    counts["open"],
                    counts["overdue"],
                )
            )
            item.idle = tr("没有待回复的征求意见函。", "No opinion request waits for you.")
        elif role == "judge":
            for ballot in pending_ballots(db.session, user):
                number = ballot.round.number
                if ballot.tie:
                    label = tr(f"第 {number} 轮评审待主任裁决", f"Round {number}: tie to decide")
                elif ballot.left:
                    label = tr(f"第 {number} 轮评审待投票", f"Round {number}: to vote")
                else:
                    continue
                item.lines.append(
                    WorkLine(
                        f"round:{ballot.round.id}",
                        label,
                        url_for("selection.view", round_id=ballot.round.id),
                        ballot.left or 1,
                    )
                )
            item.idle = tr("没有待投的评审票。", "No ballot waits for you.")
        elif role in acting:
            item.lines = _queue_lines(user, role)
            item.idle = tr("目前没有需要您处理的推荐。", "No nomination waits for you.")
        elif role == "auditor":
            item.lines.append(
                WorkLine("audit", tr("审计记录", "Audit trail"), url_for("audit.index"))
            )
        elif role == "admin":
            item.lines.append(
                WorkLine(
                    "admin",
                    tr("组织、人员与评选活动", "Organisations, people and campaigns"),
                    url_for("admin_organisations.index"),
                )
            )
        work.append(item)
    # Roles with something waiting come first; the order of ROLES otherwise.
    return sorted(work, key=lambda w: w.count == 0)


def work_badges(user: Any) -> dict[str, int]:
    """Return the counts of waiting work by menu: the workbench, opinion requests, ballots."""
    held = {r.role for r in user.roles}
    badges = {"dashboard": 0, "consultations": 0, "selection": 0}
    if acts_on_nominations(user):
        badges["dashboard"] = len(queue_of(user))
    if "department" in held:
        badges["consultations"] = department_counts(db.session, user, now=utcnow())["open"]
    if "judge" in held:
        badges["selection"] = sum(b.left + b.tie for b in pending_ballots(db.session, user))
    return badges


@bp.app_context_processor
def _work_badges() -> dict[str, Any]:
    """Give every page the counts of the navigation bar's work badges (none when logged out)."""
    user = current_user if has_request_context() else None
    if not (user and user.is_authenticated):
        return {"work_badges": {}}
    return {"work_badges": work_badges(signed_in_user())}
