"""Nomination pages for logged-in users: dashboard, new, view, edit, firing transitions.

URL table (each view is load → check → act → respond; operations decide, views present):

    /                                         dashboard: my queue (ticks for a bulk action),
                                              the scoped list, counts; one set of filters
    /nominations/bulk-transitions             POST: one transition on the ticked nominations,
                                              each checked, fired and audited on its own
    /nominations/new?campaign_id=&kind=       new nomination from the award's form definition
    /nominations/<id>                         the nomination: data, diagram, evidence, timeline,
                                              one card per transition the user may fire
    /nominations/<id>/edit                    edit the nominee data (optimistic locking); a
                                              returned one shows each remark beside its field
    /nominations/<id>/transitions/<trigger>   POST: fire a transition
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

import graphviz
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from markupsafe import Markup
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from wtforms import Form

from nomination import db, engine
from nomination.audit.reading import Change, field_changes, shown_views
from nomination.calendar.queries import missing_message, missing_years
from nomination.calendar.workdays import provisional_reason
from nomination.consultations.operations import visible_events
from nomination.db import utcnow
from nomination.definitions.forms import (
    FormDef,
    RemarksField,
    clean_data,
    form_class,
    to_formdata,
)
from nomination.engine.definitions import StateDef, TransitionDef, Workflow
from nomination.engine.diagram import svg
from nomination.errors import OperationError
from nomination.i18n import current_language, lazy, pick
from nomination.labels import AUDIT_ACTION_LABELS, actor_name, phone_as_written
from nomination.models import (
    ArchivePerson,
    AuditEvent,
    Campaign,
    HonourRecord,
    Nomination,
    Organisation,
    User,
    evidence,
)
from nomination.nominations.bulk import ItemResult, transition_each
from nomination.nominations.operations import (
    create_nomination,
    transition_nomination,
    update_nomination,
)
from nomination.nominations.queries import (
    Deadline,
    deadlines,
    history,
    honour_of,
    load_nomination,
    open_campaigns,
    submitter_unit_choices,
    visible_nominations,
    work_queue,
)
from nomination.permissions import (
    can_act_in_bulk,
    can_edit_nomination,
    can_handle_objections,
    can_manage_calendar,
    can_see_calendar_warning,
    can_see_personal_data,
    can_view_person,
    can_view_unit_honours,
    composition_scopes,
)
from nomination.permissions.privacy import masked_data
from nomination.selection.queries import pending_ballots
from nomination.web import attachments, kept_forms
from nomination.web.forms import (
    BulkTransitionForm,
    EditForm,
    NewNominationForm,
    VersionedForm,
    add_error,
    with_version,
)
from nomination.web.outcomes import operation_errors
from nomination.web.overview import acts_on_nominations, role_work
from nomination.web.public import OBJECTION_STATUS
from nomination.web.setup import org_name, signed_in_user, tr
from nomination.web.textdiff import inline_diff, shown_length
from nomination.web.transitions import Posted, fire_posted, transition_form_class

bp = Blueprint("nominations", __name__)

#: Shown with a form given back after the login had expired.
_RESTORED = lazy(
    {
        "zh": "已恢复您在登录过期前填写的内容,请核对后提交。",
        "en": "What you typed before your login expired is back; check it and submit.",
    }
)

#: Rows per page of the dashboard's list.
PAGE_SIZE = 50
#: At most this many nominations are examined for "my queue".
QUEUE_LIMIT = 200

#: Diagrams by (definition hash, state, language): definitions are immutable once pinned.
_DIAGRAMS: dict[tuple[str, str, str], Markup] = {}


def _nomination_or_abort(nomination_id: int) -> Nomination:
    """Return the nomination the user may see; another unit's answers 404 like a missing one."""
    return load_nomination(db.session, nomination_id, signed_in_user())


# --- presentation helpers --------------------------------------------------------------------


def _diagram(wf: Workflow, state: str) -> Markup | None:
    """Return the workflow diagram as SVG (Graphviz output from definition data), or None."""
    key = (wf.hash, state, current_language())
    if key not in _DIAGRAMS:
        try:
            text = svg(wf, state, key[2])
        except (graphviz.ExecutableNotFound, graphviz.CalledProcessError, OSError):
            return None
        # Drop the XML prolog and doctype; the SVG element is embedded in the page.
        _DIAGRAMS[key] = Markup(text[text.find("<svg") :])
    return _DIAGRAMS[key]


def _ordered_states(wf: Workflow) -> list[StateDef]:
    """Return the states in definition order, open ones first, then the ends."""
    states = list(wf.states.values())
    return [s for s in states if not s.terminal] + [s for s in states if s.terminal]


def _rows(defn: FormDef | None, data: dict[str, Any]) -> list[tuple[str, str]]:
    """Return (label, shown value) for each field of ``defn``; unknown keys keep their name."""
    if defn is None:
        return [(key, str(value)) for key, value in data.items()]
    return [(pick(f.label), f.display(data.get(f.name))) for f in defn.fields]


def _transition_label(wf: Workflow, trigger: str) -> str:
    t = next((t for t in wf.transitions if t.trigger == trigger), None)
    return pick(t.label) if t else trigger


def _state_label(wf: Workflow, name: str | None) -> str:
    return pick(wf.states[name].label) if name in wf.states else (name or "")


def _as_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _evidence(wf: Workflow, nomination: Nomination) -> dict[str, Any]:
    """Return the recorded evidence: the unit's recommendation and each level's opinion."""
    recommendation = evidence.unit_recommendation(nomination)
    # The form of the transition that records the recommendation labels its fields.
    defn = next(
        (
            wf.forms[t.form]
            for t in wf.transitions
            if "record_unit_recommendation" in t.effects and t.form
        ),
        None,
    )
    opinions = [
        {
            "role": o.get("role"),
            "by": actor_name(o.get("by"), o.get("role")),
            "at": _as_time(o.get("at")),
            "action": _transition_label(wf, o.get("trigger", "")),
            "text": o.get("text", ""),
            "remarks": _remark_rows(wf, o.get("field_remarks")),
        }
        for o in evidence.opinions(nomination)
    ]
    return {
        "recommendation": _rows(defn, recommendation) if recommendation else [],
        "unit_notice_provisional": _unit_notice_provisional(recommendation),
        "opinions": opinions,
        "verifications": _verifications(wf, evidence.verifications(nomination)),
    }


def _unit_notice_provisional(recommendation: dict[str, Any] | None) -> str:
    """The reason the unit's notice was counted provisionally, if it ran on such a year."""
    try:
        start = date.fromisoformat((recommendation or {}).get("notice_start", ""))
        end = date.fromisoformat((recommendation or {}).get("notice_end", ""))
        years = engine.calendar().provisional_years(start, end)
    except (TypeError, ValueError):
        return ""
    return pick(provisional_reason(years)) if years else ""


def _remark_rows(wf: Workflow, remarks: dict[str, str] | None) -> list[dict[str, str]]:
    """Return a return's remarks in the nominee form's order, each with its field's label."""
    remarks = remarks or {}
    known = [f for f in wf.nominee_form.fields if f.name in remarks]
    rows = [{"name": f.name, "label": pick(f.label), "text": remarks[f.name]} for f in known]
    # A remark on a field an older form had is still shown, under its name.
    named = {f.name for f in known}
    rows += [{"name": n, "label": n, "text": t} for n, t in remarks.items() if n not in named]
    return rows


def _is_return(wf: Workflow, trigger: str) -> bool:
    """Return whether ``trigger`` sends a nomination back to the unit (to an editable state)."""
    return any(
        t.trigger == trigger and t.dest in wf.states and wf.states[t.dest].editable
        for t in wf.transitions
    )


def _last_return(wf: Workflow, nomination: Nomination) -> dict[str, Any] | None:
    """Return the opinion of the return the unit is revising now, or None.

    Only while the nomination is back with the unit (editable, and not the first draft).
    """
    state = wf.states.get(nomination.state)
    if state is None or not state.editable or nomination.state == wf.initial:
        return None
    return _return_opinion(wf, nomination)


def _return_opinion(wf: Workflow, nomination: Nomination) -> dict[str, Any] | None:
    """Return the latest return's opinion: who, when, the reason and the remarks by field."""
    opinions = evidence.opinions(nomination)
    opinion = next((o for o in reversed(opinions) if _is_return(wf, o.get("trigger", ""))), None)
    if opinion is None:
        return None
    return {
        "role": opinion.get("role"),
        "by": opinion.get("by"),
        "at": _as_time(opinion.get("at")),
        "text": opinion.get("text", ""),
        "remarks": {r["name"]: r for r in _remark_rows(wf, opinion.get("field_remarks"))},
    }


def _verifications(
    wf: Workflow, requests: list[evidence.VerificationRequest]
) -> list[dict[str, Any]]:
    """Return the federation's requests to verify an objection and the unit's answers."""
    answer_form = next(
        (
            wf.forms[t.form]
            for t in wf.transitions
            if t.form and "record_verification_answer" in t.effects
        ),
        None,
    )
    opinions = {}
    if answer_form is not None:
        field = next((f for f in answer_form.fields if f.name == "opinion"), None)
        opinions = {value: pick(label) for value, label in field.choices} if field else {}
    rows = []
    for r in requests:
        answer = r.get("answer")
        rows.append(
            {
                "requested_at": _as_time(r.get("requested_at")),
                "requested_by": r.get("requested_by"),
                "questions": r.get("questions", ""),
                "due_at": _as_time(r.get("due_at")),
                "provisional": bool(r.get("provisional")),
                "answer": answer
                and {
                    "at": _as_time(answer.get("answered_at")),
                    "by": answer.get("answered_by"),
                    "finding": answer.get("finding", ""),
                    "opinion": opinions.get(answer.get("opinion"), answer.get("opinion")),
                    "leader": f"{answer.get('leader_post', '')} {answer.get('leader_name', '')}",
                },
            }
        )
    return rows


def _timeline(wf: Workflow, events: list[AuditEvent]) -> list[dict[str, Any]]:
    """Return the audit events of a nomination as rows for people to read.

    Personal values are read through ``shown_views``: clear, or ``[redacted]`` once erased,
    never the commitments the chain holds; masked where the reader may not see them.
    """
    rows = []
    for e, view in zip(events, shown_views(db.session, events, signed_in_user()), strict=True):
        before, after = view.before or {}, view.after or {}
        if e.action.startswith("transition."):
            action = _transition_label(wf, e.action.removeprefix("transition."))
        else:
            action = pick(AUDIT_ACTION_LABELS.get(e.action, e.action))
        changed: list[dict[str, Any]] = []
        if e.action == "nomination.update":
            changed = [_change(c) for c in field_changes(e, view, wf) if c.field != "version"]
        rows.append(
            {
                "seq": e.seq,
                "at": e.occurred_at,
                "actor": actor_name(e.actor_name, e.role),
                "role": e.role,
                "action": action,
                "comment": e.comment,
                "before": _state_label(wf, before.get("state")) if before.get("state") else "",
                "after": _state_label(wf, after.get("state")) if after.get("state") else "",
                "changed": changed,
            }
        )
    return rows


#: A diff that shows more than this many characters is folded under its field's name.
_FOLD = 160


def _change(change: Change, after: str | None = None) -> dict[str, Any]:
    """Return a field's change for a page: the changed words marked, long text cut."""
    after = change.after if after is None else after
    pieces = inline_diff(change.before, after)
    return {
        "label": change.label,
        "before": change.before,
        "after": after,
        "pieces": pieces,
        "folded": shown_length(pieces) > _FOLD,
        "elided": any(p.kind == "elided" for p in pieces),
    }


#: The states in which the reviewer who returned a nomination, or the unit revising it, reads
#: what was asked for beside what changed since.
_REVISION_STATES = ("returned", "committee_review", "federation_review")


def _since_return(
    wf: Workflow, nomination: Nomination, events: list[AuditEvent]
) -> dict[str, Any] | None:
    """Return the last return's request beside the fields changed since, or None.

    Each changed field shows its value when the nomination was returned and now, so the unit
    checks its revision and the reviewer sees what changed in the version they returned.
    """
    if nomination.state not in _REVISION_STATES:
        return None
    returned = next((e for e in reversed(events) if e.action == "transition.return_to_unit"), None)
    if returned is None:
        return None
    updates = [e for e in events if e.seq > returned.seq and e.action == "nomination.update"]
    first: dict[str, Any] = {}
    last: dict[str, Any] = {}
    for e, view in zip(updates, shown_views(db.session, updates, signed_in_user()), strict=True):
        for change in field_changes(e, view, wf):
            if change.field == "version":
                continue
            first.setdefault(change.field, change)
            last[change.field] = change
    opinion = _return_opinion(wf, nomination)
    remarks = opinion["remarks"] if opinion else {}
    rows = [
        {
            **_change(c, last[name].after),
            "remark": remarks[name]["text"] if name in remarks else "",
        }
        for name, c in first.items()
        if c.before != last[name].after
    ]
    changed = {name for name, c in first.items() if c.before != last[name].after}
    resubmitted = any(e.seq > returned.seq and e.action == "transition.resubmit" for e in events)
    return {
        "by": returned.actor_name,
        "at": returned.occurred_at,
        "role": returned.role,
        "reason": returned.comment or "",
        "rows": rows,
        # Fields a remark asked to change that are as they were when returned.
        "unchanged": [r for name, r in remarks.items() if name not in changed],
        "resubmitted": resubmitted,
    }


def _honour_link(user: User, honour: HonourRecord | None) -> str | None:
    """Return the address of the archive record an honour belongs to, if the user may read it."""
    if honour is None:
        return None
    if honour.person_id is not None:
        person = db.session.get(ArchivePerson, honour.person_id)
        if person is not None and can_view_person(user, person):
            return url_for("archive.person", person_id=person.id)
        return None
    org = db.session.get(Organisation, honour.unit_id) if honour.unit_id else None
    if org is not None and can_view_unit_honours(user, org):
        return url_for("archive.unit", org_id=org.id)
    return None


def _objections(nomination: Nomination, in_full: bool) -> list[dict[str, Any]]:
    """Return the objections as the user may see them: their status, and all only if ``in_full``.

    Only what may be shown reaches the template, so no layout change can leak the objector.
    """
    rows = []
    for o in nomination.objections:
        row: dict[str, Any] = {
            "status": o.status,
            "status_label": pick(OBJECTION_STATUS.get(o.status, o.status)),
            "late": o.late,
        }
        if in_full:
            row.update(
                id=o.id,
                received_at=o.received_at,
                objector_kind=o.objector_kind,
                objector_name=o.objector_name,
                objector_phone=phone_as_written(o.objector_phone),
                objector_address=o.objector_address,
                facts=o.facts,
                conclusion=o.conclusion,
                files=[
                    {
                        "filename": a.filename,
                        "size": a.size,
                        "sha256": a.sha256,
                        "purpose": a.purpose,
                        "url": url_for(
                            "attachments.download", nomination_id=nomination.id, attachment_id=a.id
                        ),
                    }
                    for a in o.attachments
                ],
            )
        rows.append(row)
    return rows


def _formdata(defn: FormDef, nomination: Nomination, data: dict | None = None) -> MultiDict:
    """Return the nominee data (default: stored) as form data, with the version it was read at.

    The stored data goes with it (``base``), so that a conflict can tell the fields this user
    changed from those a colleague changed meanwhile.
    """
    formdata = to_formdata(defn, nomination.data or {} if data is None else data)
    formdata["version"] = str(nomination.version)
    formdata["base"] = json.dumps(nomination.data or {}, ensure_ascii=False, sort_keys=True)
    return formdata


def _base_of(form: Form) -> dict[str, Any] | None:
    """Return the stored data an edit form was filled from, or None when it does not say."""
    field = getattr(form, "base", None)
    try:
        base = json.loads(field.data or "") if field is not None else None
    except ValueError:
        return None
    return base if isinstance(base, dict) else None


def _conflict_message(nomination: Nomination, wf: Workflow) -> str:
    return tr(
        f"此推荐已被他人更新(当前状态:{pick(wf.state(nomination.state).label, 'zh')})。"
        "请查看下方的最新内容;您填写的内容已保留,确认后可再次提交。",
        f"Someone else has changed this nomination (now: "
        f"{pick(wf.state(nomination.state).label, 'en')}). "
        "Check the current content below; what you typed is kept and you may submit again.",
    )


# --- the dashboard ---------------------------------------------------------------------------


def _state_of(nomination: Nomination) -> StateDef:
    return engine.workflow_for(nomination).state(nomination.state)


def _filters() -> dict[str, Any]:
    """Return the dashboard's filters from the query string (None where not given).

    ``overdue`` is 1 or None, so that links built from the filters leave it out when unset.
    """
    kind = request.args.get("kind")
    return {
        "state": request.args.get("state") or None,
        "campaign_id": request.args.get("campaign_id", type=int),
        "kind": kind if kind in engine.award_kinds() else None,
        "unit_id": request.args.get("unit_id", type=int),
        "category": request.args.get("category") or None,
        "overdue": 1 if request.args.get("overdue") in ("1", "y", "on", "true") else None,
    }


#: Fields the bulk form gives once for the whole batch, for the transitions whose form has them:
#: one decision (表彰决定) covers every nomination it approves.
BULK_SHARED = ("decision_number", "decision_date")


def _bulk_field(wf: Workflow, transition: TransitionDef) -> str | None:
    """Return the text field a bulk action fills in for ``transition``.

    "" when it has no form; None when its form asks for more than one text besides the shared
    decision number and date (a vote, say): such a transition is done one by one, on its own
    page.
    """
    if not transition.form:
        return ""
    fields = [f for f in wf.forms[transition.form].fields if f.name not in BULK_SHARED]
    required = [f for f in fields if f.required]
    if len(required) > 1 or any(f.type not in ("text", "textarea") for f in required):
        return None
    chosen = required or [f for f in fields if f.type in ("text", "textarea")]
    return chosen[0].name if chosen else ""


def _bulk_decision(queue: Sequence[tuple[Nomination, list[engine.Available]]]) -> list[str]:
    """Return the labels of the bulk actions that take the shared decision number and date."""
    labels: list[str] = []
    for nomination, options in queue:
        wf = engine.workflow_for(nomination)
        for option in options:
            t = option.transition
            if not (option.allowed and t.form and _bulk_field(wf, t) is not None):
                continue
            if any(wf.forms[t.form].field(name) is not None for name in BULK_SHARED):
                label = pick(t.label)
                if label not in labels:
                    labels.append(label)
    return labels


def _bulk_triggers(queue: Sequence[tuple[Nomination, list[engine.Available]]]) -> dict[str, str]:
    """Return the triggers a bulk action may offer: allowed now on some queued nomination."""
    offered: dict[str, str] = {}
    for nomination, options in queue:
        wf = engine.workflow_for(nomination)
        for option in options:
            t = option.transition
            if option.allowed and _bulk_field(wf, t) is not None:
                offered.setdefault(t.trigger, pick(t.label))
    return offered


@bp.route("/")
@login_required
def dashboard() -> ResponseReturnValue:
    """Show the user's queue, the nominations they may see (filtered) and counts per state."""
    return _render_dashboard()


def _render_dashboard(
    bulk_form: BulkTransitionForm | None = None,
    selected: frozenset[int] = frozenset(),
    status: int = 200,
) -> ResponseReturnValue:
    """Render the dashboard; ``bulk_form`` and ``selected`` give back a refused bulk action."""
    user = signed_in_user()
    filters = _filters()
    wanted = {**filters, "overdue": bool(filters["overdue"])}
    page = max(request.args.get("page", 1, type=int), 1)
    # Lazy timers: a notice whose period ended is listed as closed (as the API's list does).
    engine.apply_due_timers(db.session)

    query = visible_nominations(user, **wanted)
    total = db.session.execute(
        select(func.count()).select_from(query.order_by(None).subquery())
    ).scalar_one()
    rows = db.session.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    within = {"campaign_id": filters["campaign_id"], "kind": filters["kind"]}
    scoped = visible_nominations(user, **within).order_by(None).subquery()
    counts: dict[str, int] = dict(
        db.session.execute(select(scoped.c.state, func.count()).group_by(scoped.c.state)).all()
    )
    late = visible_nominations(user, **within, overdue=True).order_by(None).subquery()
    overdue_count = db.session.scalar(select(func.count()).select_from(late))

    queue = work_queue(db.session, user, QUEUE_LIMIT, **wanted)
    due: dict[int, Deadline] = deadlines(
        db.session, {n.id for n in rows} | {n.id for n, _ in queue}
    )
    triggers = _bulk_triggers(queue)
    form = bulk_form or BulkTransitionForm(formdata=None)
    form.trigger.choices = list(triggers.items())
    bulk_decision = _bulk_decision(queue)

    # A draft is the administrator's until it opens: no filter offers it.
    campaigns = db.session.scalars(
        select(Campaign)
        .where(Campaign.status != "draft")
        .order_by(Campaign.year.desc(), Campaign.id.desc())
    ).all()
    # State names and labels from the definitions the campaigns pinned, in definition order.
    states: dict[str, StateDef] = {}
    for c in campaigns:
        for award in c.awards:
            for s in _ordered_states(engine.workflow_by_hash(db.session, award.definition_hash)):
                states.setdefault(s.name, s)

    units = submitter_unit_choices(db.session, user)
    # The campaign overview and the composition panel: for the same readers (the federation's
    # reviewers, approvers, auditors and administrators; a working committee, its own part).
    composition_campaigns = [
        c
        for c in db.session.scalars(select(Campaign).where(Campaign.status == "open"))
        if composition_scopes(user, c.federation)
    ]
    return (
        render_template(
            "nominations/dashboard.html",
            work=role_work(user),
            acts_on_nominations=acts_on_nominations(user),
            composition_campaigns=composition_campaigns,
            queue=[(n, _state_of(n), options) for n, options in queue],
            queue_counts=Counter(n.state for n, _ in queue),
            queue_overdue=sum(due[n.id].overdue for n, _ in queue),
            deadlines=due,
            bulk_form=form if triggers or bulk_form else None,
            bulk_decision=bulk_decision,
            selected=selected,
            rows=[(n, _state_of(n)) for n in rows],
            total=total,
            page=page,
            pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
            counts=counts,
            overdue_count=overdue_count,
            states=states,
            campaigns=campaigns,
            kinds=[(k, engine.current_definitions()[k].title) for k in engine.award_kinds()],
            filters=filters,
            filter_units=_filter_units(user),
            categories=_categories(campaigns),
            units=units,
            open_campaigns=open_campaigns(db.session) if units else [],
            calendar_missing=_calendar_missing(user),
            # A judge's work is in the selection rounds, not in the nominations' queue.
            ballots=pending_ballots(db.session, user),
            can_manage_calendar=can_manage_calendar(user),
        ),
        status,
    )


def _calendar_missing(user: User) -> dict[str, Any] | None:
    """The warning that this or next year's arrangement is missing, for those who act on it."""
    if not can_see_calendar_warning(user):
        return None
    years = missing_years(engine.calendar(), utcnow())
    return {"message": missing_message(years), "year": years[-1]} if years else None


def _filter_units(user: User) -> list[Organisation]:
    """Return the units whose nominations ``user`` may see, for the unit filter."""
    scoped = visible_nominations(user).order_by(None).with_only_columns(Nomination.unit_id)
    return list(
        db.session.scalars(
            select(Organisation)
            .where(Organisation.id.in_(scoped.distinct()))
            .order_by(Organisation.path)
        )
    )


def _categories(campaigns: Sequence[Campaign]) -> list[tuple[str, str]]:
    """Return the person categories the campaigns' forms for people offer, for the filter."""
    seen: dict[str, str] = {}
    for award in (a for c in campaigns for a in c.awards):
        wf = engine.workflow_by_hash(db.session, award.definition_hash)
        field = wf.nominee_form.field("category") if wf.holder == "person" else None
        for value, label in field.choices if field is not None else ():
            seen.setdefault(value, pick(label))
    return list(seen.items())


# --- one transition on several nominations ---------------------------------------------------


def _ticked(values: Sequence[str]) -> list[tuple[int, int]] | None:
    """Return the ticked (id, version) pairs, posted as "id:version"; None if one is malformed."""
    pairs = []
    for value in values:
        nomination_id, _, version = value.partition(":")
        if not (nomination_id.isdigit() and version.isdigit()):
            return None
        pairs.append((int(nomination_id), int(version)))
    return pairs


def _bulk_data(
    trigger: str, text: str, shared: dict[str, Any] | None = None
) -> Callable[[Nomination], dict[str, Any]]:
    """Return the function giving each nomination's form data: ``text`` in its text field.

    The ``shared`` values (decision number and date) go to the transitions whose form has them.
    """

    def data_for(nomination: Nomination) -> dict[str, Any]:
        wf = engine.workflow_for(nomination)
        transition = wf.transition(nomination.state, trigger)
        name = _bulk_field(wf, transition) if transition is not None else ""
        # A transition whose form needs more than a text gets nothing: the engine says what
        # is missing, for that nomination alone.
        data = {name: text} if name and text else {}
        if transition is not None and transition.form:
            defn = wf.forms[transition.form]
            data.update(
                {k: v for k, v in (shared or {}).items() if v and defn.field(k) is not None}
            )
        return data

    return data_for


def _ticked_transitions(
    trigger: str, pairs: Sequence[tuple[int, int]]
) -> Iterator[tuple[Workflow, TransitionDef]]:
    """Yield the workflow and transition ``trigger`` of each ticked nomination the user may see.

    One the user may not see is skipped here: it is reported for itself when it is fired.
    """
    user = signed_in_user()
    for nomination_id, _version in pairs:
        with operation_errors(catch=(OperationError,)) as outcome:
            nomination = load_nomination(db.session, nomination_id, user)
        if outcome.refused:
            continue
        wf = engine.workflow_for(nomination)
        transition = wf.transition(nomination.state, trigger)
        if transition is not None:
            yield wf, transition


def _shared_required(trigger: str, pairs: Sequence[tuple[int, int]]) -> list[str]:
    """Return the shared fields (decision number, date) the transition requires on any ticked."""
    needed: list[str] = []
    for wf, transition in _ticked_transitions(trigger, pairs):
        if not transition.form:
            continue
        defn = wf.forms[transition.form]
        for name in BULK_SHARED:
            field = defn.field(name)
            if field is not None and field.required and name not in needed:
                needed.append(name)
    return needed


def _text_required(trigger: str, pairs: Sequence[tuple[int, int]]) -> bool:
    """Return whether the transition asks for an opinion or reason on any ticked nomination."""
    for wf, transition in _ticked_transitions(trigger, pairs):
        name = _bulk_field(wf, transition)
        defn = wf.forms[transition.form] if transition.form else None
        field = defn.field(name) if defn is not None and name else None
        if field is not None and field.required:
            return True
    return False


def _refusal(result: ItemResult) -> str:
    """Return why a nomination was not changed, as people read it."""
    if result.code == "guard_blocked":
        return ";".join(result.reasons) or result.message
    if result.code == "conflict":
        n = result.nomination
        if n is None:
            return tr("状态已变化,未执行", "It changed meanwhile; not done")
        now = _state_of(n).label
        return tr(
            f"已被他人更新或状态已变化(当前:{pick(now, 'zh')}),未执行",
            f"Changed by someone else meanwhile (now: {pick(now, 'en')}); not done",
        )
    if result.code == "forbidden":
        return tr("您不能对此推荐执行此操作", "You may not do this to this nomination")
    if result.code == "not_found":
        return tr("没有这条推荐", "No such nomination")
    if result.code == "invalid":
        wf = engine.workflow_for(result.nomination) if result.nomination is not None else None
        parts = []
        for name, messages in result.fields.items():
            label = name
            if wf is not None:
                fd = next((f for form in wf.forms.values() if (f := form.field(name))), None)
                label = pick(fd.label) if fd is not None else name
            parts.append(f"{label}: {' '.join(messages)}")
        return ";".join(parts) or result.message
    return result.message


@bp.route("/nominations/bulk-transitions", methods=["POST"])
@login_required
def bulk() -> ResponseReturnValue:
    """Fire one transition on the ticked nominations; each is checked, fired and audited alone.

    A refused one (a guard, a change meanwhile, a permission) never undoes the others; the
    page lists each: done, or refused and why.
    """
    user = signed_in_user()
    if not can_act_in_bulk(user):
        abort(403)
    form = BulkTransitionForm()
    trigger = form.trigger.data or ""
    ticks = _ticked(form.items.data or [])
    valid = form.validate()
    if ticks is None:
        add_error(form.items, tr("选择无效,请刷新页面", "Invalid ticks; reload"))
        valid = False
    pairs = ticks or []
    text = (form.text.data or "").strip()
    if valid and not text and _text_required(trigger, pairs):
        add_error(form.text, tr("此项必填", "This field is required"))
        valid = False
    shared = {
        "decision_number": (form.decision_number.data or "").strip(),
        "decision_date": form.decision_date.data.isoformat() if form.decision_date.data else "",
    }
    if valid:
        for name in _shared_required(trigger, pairs):
            if not shared[name]:
                add_error(form[name], tr("此项必填", "This field is required"))
                valid = False
    if not valid:
        ticked = frozenset(i for i, _ in pairs)
        return _render_dashboard(bulk_form=form, selected=ticked, status=422)
    # Each nomination is still checked (its guards, its notice's end against the date) and
    # audited alone; one refused is reported with its reason and the others go on.
    results = transition_each(db.session, user, trigger, pairs, _bulk_data(trigger, text, shared))
    label = next(
        (
            pick(t.label)
            for r in results
            if r.nomination is not None
            for t in engine.workflow_for(r.nomination).transitions
            if t.trigger == trigger
        ),
        trigger,
    )
    return render_template(
        "nominations/bulk_result.html",
        label=label,
        results=[
            {
                "id": r.id,
                "done": r.done,
                "nomination": r.nomination,
                "state": _state_of(r.nomination) if r.nomination is not None else None,
                "code": r.code,
                "why": "" if r.done else _refusal(r),
            }
            for r in results
        ],
        done=sum(r.done for r in results),
        back=url_for(".dashboard", **{k: v for k, v in _filters().items() if v is not None}),
    )


# --- a new nomination ------------------------------------------------------------------------


@bp.route("/nominations/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    """Show the award's nominee form and start a nomination (a draft may be incomplete)."""
    user = signed_in_user()
    campaign_id = request.args.get("campaign_id", type=int)
    kind = request.args.get("kind", "")
    campaign = db.session.get(Campaign, campaign_id) if campaign_id else None
    award = campaign.award(kind) if campaign is not None else None
    if campaign is None or award is None or campaign.status != "open":
        abort(
            404, tr("该评选活动未开放此奖项的推荐", "This campaign takes no such nominations now")
        )
    units = submitter_unit_choices(db.session, user)
    if not units:
        abort(403, tr("您不能为任何单位推荐", "You may not nominate for any unit"))
    wf = engine.workflow_by_hash(db.session, award.definition_hash)
    cls = form_class(wf.nominee_form, strict=False, base=NewNominationForm)
    kept = kept_forms.restore() if request.method == "GET" else None
    form = cls(formdata=kept) if kept is not None else cls()
    form.unit_id.choices = [(u.id, org_name(u)) for u in units]

    status, alerts = 200, [str(_RESTORED)] if kept is not None else []
    if form.validate_on_submit():
        unit = next(u for u in units if u.id == form.unit_id.data)
        with operation_errors(form) as outcome:
            nomination = create_nomination(
                db.session,
                actor=user,
                campaign=campaign,
                kind=kind,
                unit=unit,
                data=clean_data(wf.nominee_form, form),
            )
        if outcome.conflict:
            status = 409
            alerts = [tr("评选活动已结束,不能再推荐", "The campaign is closed")]
        elif outcome.refused:
            status, alerts = outcome.status, outcome.alerts
        else:
            flash(tr("推荐已创建(草稿)", "Nomination created (draft)"), "success")
            return redirect(url_for(".view", nomination_id=nomination.id))
    elif request.method == "POST":
        status = 422
    return (
        render_template(
            "nominations/new.html",
            form=form,
            campaign=campaign,
            kind=kind,
            formdef=wf.nominee_form,
            alerts=alerts,
        ),
        status,
    )


# --- the nomination page ---------------------------------------------------------------------


def _prepared(form: VersionedForm, wf: Workflow, transition: TransitionDef) -> VersionedForm:
    """Fit a transition's form to this nomination: remarks by field only on a return.

    A return offers one remark per field of the nominee form; elsewhere (a rejection, a
    withdrawal) the remarks would ask for a revision that will not come, so they are left out.
    """
    defn = wf.forms.get(transition.form or "")
    for fd in defn.fields if defn is not None else ():
        if fd.type != "remarks" or fd.name not in form:
            continue
        if _is_return(wf, transition.trigger):
            remarks = form[fd.name]
            assert isinstance(remarks, RemarksField), "a remarks field compiles to one"
            remarks.choices = [(f.name, pick(f.label)) for f in wf.nominee_form.fields]
        else:
            del form[fd.name]
    return form


def _render_page(
    nomination: Nomination,
    *,
    posted: Posted | None = None,
    alerts: Sequence[str] = (),
    reasons: Sequence[str] = (),
    status: int = 200,
) -> ResponseReturnValue:
    """Render the nomination page; ``posted`` replaces the fresh form of its transition."""
    user = signed_in_user()
    wf = engine.workflow_for(nomination)
    cards = []
    for option in engine.available(nomination, user):
        t = option.transition
        if posted is not None and posted.trigger == t.trigger:
            option = posted.judged(option)
            form = posted.form
        else:
            # formdata=None: never fill the other cards from the request that was posted.
            form = transition_form_class(wf, t)(formdata=None, version=nomination.version)
            form = _prepared(form, wf, t)
        cards.append((option, form))
    # A submitted form whose transition is not open now is still shown, so nothing is lost.
    offered = {option.transition.trigger for option, _ in cards if option.allowed}
    state = wf.state(nomination.state)
    in_full = can_handle_objections(user, nomination)
    # Which department said what stays with the federation until the decision.
    events = visible_events(user, nomination, history(db.session, nomination))
    honour = honour_of(db.session, nomination)
    return (
        render_template(
            "nominations/view.html",
            nomination=nomination,
            state=state,
            workflow=wf,
            rows=_rows(
                wf.nominee_form,
                masked_data(
                    wf.nominee_form, nomination.data or {}, can_see_personal_data(user, nomination)
                ),
            ),
            diagram=_diagram(wf, nomination.state),
            states=_ordered_states(wf),
            evidence=_evidence(wf, nomination),
            timeline=_timeline(wf, events),
            since_return=_since_return(wf, nomination, events),
            cards=cards,
            orphan=posted if posted is not None and posted.trigger not in offered else None,
            can_edit=can_edit_nomination(user, nomination, state.editable),
            objections=_objections(nomination, in_full),
            objections_in_full=in_full,
            attachments=[a for a in attachments.listed(user, nomination) if not a["objection_id"]],
            upload_form=attachments.upload_form(user, nomination),
            required_files=attachments.required_files([o for o, _ in cards]),
            alerts=alerts,
            reasons=reasons,
            honour=honour,
            honour_link=_honour_link(user, honour),
        ),
        status,
    )


@bp.route("/nominations/<int:nomination_id>")
@login_required
def view(nomination_id: int) -> ResponseReturnValue:
    """Show a nomination with its workflow, evidence, timeline and the user's transitions."""
    return _render_page(_nomination_or_abort(nomination_id))


@bp.route("/nominations/<int:nomination_id>/transitions/<trigger>", methods=["POST"])
@login_required
def fire(nomination_id: int, trigger: str) -> ResponseReturnValue:
    """Fire ``trigger`` with its form; on refusal show the page again with what was typed."""
    nomination = _nomination_or_abort(nomination_id)
    return fire_posted(
        nomination,
        trigger,
        user=signed_in_user(),
        fit=_prepared,
        operation=transition_nomination,
        render=_render_page,
        conflict_message=_conflict_message,
        done_url=url_for(".view", nomination_id=nomination.id),
    )


# --- editing the nominee data ----------------------------------------------------------------


@bp.route("/nominations/<int:nomination_id>/edit", methods=["GET", "POST"])
@login_required
def edit(nomination_id: int) -> ResponseReturnValue:
    """Edit the nominee data while the state allows it; a stale version is a conflict."""
    user = signed_in_user()
    nomination = _nomination_or_abort(nomination_id)
    wf = engine.workflow_for(nomination)
    state = wf.state(nomination.state)
    may_edit = can_edit_nomination(user, nomination, state.editable)
    if not may_edit and state.editable:
        # The state allows editing, so the refusal is about this user.
        abort(403, tr("您不能修改此推荐", "You may not edit this nomination"))
    cls = form_class(wf.nominee_form, strict=False, base=EditForm)
    if request.method == "GET":
        if not may_edit:
            flash(
                tr("当前状态下不能修改推荐表", "The form cannot be edited in this state"), "warning"
            )
            return redirect(url_for(".view", nomination_id=nomination.id))
        kept = kept_forms.restore()
        if kept is not None:
            # What was typed when the login had expired; its version is the one it was read
            # at, so saving it over a change made meanwhile is a conflict, never an overwrite.
            return _render_edit(nomination, wf, cls(formdata=kept), alerts=[str(_RESTORED)])
        form = cls(formdata=_formdata(wf.nominee_form, nomination))
        return _render_edit(nomination, wf, form)

    form = cls()
    if not may_edit:
        # Recommended (or returned) by someone else meanwhile: keep what was typed.
        return _render_edit(
            nomination, wf, form, alerts=[_conflict_message(nomination, wf)], status=409
        )
    if not form.validate():
        return _render_edit(nomination, wf, form, status=422)
    data = clean_data(wf.nominee_form, form)
    with operation_errors(form) as outcome:
        changed = update_nomination(nomination, actor=user, data=data, version=form.version.data)
    if outcome.conflict:
        saved = nomination.data or {}
        base = _base_of(form)
        # What this user changed keeps their value; the rest takes what was saved meanwhile.
        mine = {
            f.name: data.get(f.name)
            for f in wf.nominee_form.fields
            if base is None or data.get(f.name) != base.get(f.name)
        }
        differences = [
            (pick(f.label), f.display(saved.get(f.name)), f.display(mine[f.name]))
            for f in wf.nominee_form.fields
            if f.name in mine and saved.get(f.name) != mine[f.name]
        ]
        if base is not None:
            # Filled anew: the current version and stored data, with this user's changes.
            form = cls(formdata=_formdata(wf.nominee_form, nomination, {**saved, **mine}))
        else:
            form = with_version(form, nomination.version)
        return _render_edit(
            nomination,
            wf,
            form,
            alerts=[_conflict_message(nomination, wf)],
            differences=differences,
            status=409,
        )
    if outcome.refused:
        return _render_edit(nomination, wf, form, alerts=outcome.alerts, status=outcome.status)
    if changed:
        flash(tr("推荐表已保存", "Nomination form saved"), "success")
    else:
        flash(tr("没有修改", "Nothing changed"), "info")
    return redirect(url_for(".view", nomination_id=nomination.id))


def _render_edit(
    nomination: Nomination,
    wf: Workflow,
    form: Form,
    *,
    alerts: Sequence[str] = (),
    differences: Sequence[tuple[str, str, str]] = (),
    status: int = 200,
) -> ResponseReturnValue:
    return (
        render_template(
            "nominations/edit.html",
            nomination=nomination,
            form=form,
            formdef=wf.nominee_form,
            alerts=alerts,
            differences=differences,
            returned=_last_return(wf, nomination),
        ),
        status,
    )
