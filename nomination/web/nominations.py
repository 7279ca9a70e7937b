"""Nomination pages for logged-in users: dashboard, new, view, edit, firing transitions.

URL table (each view is load → check → act → respond; operations decide, views present):

    /                                         dashboard: my queue, the scoped list, counts
    /nominations/new?campaign_id=&kind=       new nomination from the award's form definition
    /nominations/<id>                         the nomination: data, diagram, evidence, timeline,
                                              one card per transition the user may fire
    /nominations/<id>/edit                    edit the nominee data (optimistic locking)
    /nominations/<id>/transitions/<trigger>   POST: fire a transition
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import graphviz
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from wtforms import Form

from nomination import db, engine
from nomination.audit import event_views
from nomination.audit_views import field_changes
from nomination.engine.definitions import StateDef, TransitionDef, Workflow
from nomination.engine.diagram import svg
from nomination.errors import Conflict, GuardBlocked, InvalidData, PermissionDenied
from nomination.formdefs import FormDef, clean_data, form_class, to_formdata
from nomination.i18n import current_language, lazy, pick
from nomination.models import AuditEvent, Campaign, Nomination, Organisation, User
from nomination.models.campaigns import AWARD_KINDS
from nomination.operations import create_nomination, transition_nomination, update_nomination
from nomination.permissions import (
    can_edit_nomination,
    can_fire,
    can_handle_objections,
    composition_scopes,
)
from nomination.queries import (
    history,
    honour_of,
    load_nomination,
    open_campaigns,
    submitter_unit_choices,
    visible_nominations,
    work_queue,
)
from nomination.web import attachments, kept_forms
from nomination.web.forms import NewNominationForm, VersionedForm, attach_errors, with_version
from nomination.web.public import OBJECTION_STATUS
from nomination.web.setup import org_name, tr

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

_ACTION_LABELS = {
    "nomination.create": {"zh": "创建推荐", "en": "Nomination created"},
    "nomination.update": {"zh": "修改推荐表", "en": "Nomination form edited"},
    "attachment.add": {"zh": "添加附件", "en": "File attached"},
    "objection.receive": {"zh": "收到异议", "en": "Objection received"},
}

#: Diagrams by (definition hash, state, language): definitions are immutable once pinned.
_DIAGRAMS: dict[tuple[str, str, str], Markup] = {}


def _user() -> User:
    return current_user._get_current_object()


def _nomination_or_abort(nomination_id: int) -> Nomination:
    """Return the nomination the user may see; another unit's answers 404 like a missing one."""
    return load_nomination(db.session, nomination_id, _user())


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
    evidence = nomination.evidence or {}
    recommendation = evidence.get("unit_recommendation") or {}
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
            "by": o.get("by"),
            "at": _as_time(o.get("at")),
            "action": _transition_label(wf, o.get("trigger", "")),
            "text": o.get("text", ""),
        }
        for o in evidence.get("opinions", [])
    ]
    return {
        "recommendation": _rows(defn, recommendation) if recommendation else [],
        "opinions": opinions,
        "verifications": _verifications(wf, evidence.get("verifications", [])),
    }


def _verifications(wf: Workflow, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the federation's requests to verify an objection and the unit's answers."""
    answer_form = next(
        (wf.forms[t.form] for t in wf.transitions if "record_verification_answer" in t.effects),
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

    Personal values are read through ``event_views``: clear, or ``[redacted]`` once erased,
    never the commitments the chain holds.
    """
    rows = []
    for e, view in zip(events, event_views(db.session, events), strict=True):
        before, after = view.before or {}, view.after or {}
        if e.action.startswith("transition."):
            action = _transition_label(wf, e.action.removeprefix("transition."))
        else:
            action = pick(_ACTION_LABELS.get(e.action, e.action))
        changed: list[str] = []
        if e.action == "nomination.update":
            changed = [c.text() for c in field_changes(e, view, wf) if c.field not in ("version",)]
        rows.append(
            {
                "seq": e.seq,
                "at": e.occurred_at,
                "actor": e.actor_name,
                "role": e.role,
                "action": action,
                "comment": e.comment,
                "before": _state_label(wf, before.get("state")) if before.get("state") else "",
                "after": _state_label(wf, after.get("state")) if after.get("state") else "",
                "changed": changed,
            }
        )
    return rows


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
    for e, view in zip(updates, event_views(db.session, updates), strict=True):
        for change in field_changes(e, view, wf):
            if change.field == "version":
                continue
            first.setdefault(change.field, change)
            last[change.field] = change
    rows = [
        {"label": c.label, "before": c.before, "after": last[name].after}
        for name, c in first.items()
        if c.before != last[name].after
    ]
    resubmitted = any(e.seq > returned.seq and e.action == "transition.resubmit" for e in events)
    return {
        "by": returned.actor_name,
        "at": returned.occurred_at,
        "role": returned.role,
        "reason": returned.comment or "",
        "rows": rows,
        "resubmitted": resubmitted,
    }


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
                objector_phone=o.objector_phone,
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


def _formdata(defn: FormDef, nomination: Nomination) -> MultiDict:
    """Return the stored nominee data as form data, with the version it was read at."""
    formdata = to_formdata(defn, nomination.data or {})
    formdata["version"] = str(nomination.version)
    return formdata


def _conflict_message(nomination: Nomination, wf: Workflow) -> str:
    return tr(
        f"此推荐已被他人更新(当前状态:{pick(wf.state(nomination.state).label, 'zh')},"
        f"版本 {nomination.version})。请查看下方的最新内容;您填写的内容已保留,确认后可再次提交。",
        f"Someone else has changed this nomination (now: "
        f"{pick(wf.state(nomination.state).label, 'en')}, version {nomination.version}). "
        "Check the current content below; what you typed is kept and you may submit again.",
    )


# --- the dashboard ---------------------------------------------------------------------------


def _state_of(nomination: Nomination) -> StateDef:
    return engine.workflow_for(nomination).state(nomination.state)


@bp.route("/")
@login_required
def dashboard() -> ResponseReturnValue:
    """Show the user's queue, the nominations they may see (filtered) and counts per state."""
    user = _user()
    state = request.args.get("state") or None
    campaign_id = request.args.get("campaign_id", type=int)
    kind = request.args.get("kind") if request.args.get("kind") in AWARD_KINDS else None
    unit_id = request.args.get("unit_id", type=int)
    category = request.args.get("category") or None
    page = max(request.args.get("page", 1, type=int), 1)
    # Lazy timers: a notice whose period ended is listed as closed (as the API's list does).
    engine.apply_due_timers(db.session)

    query = visible_nominations(
        user,
        state=state,
        campaign_id=campaign_id,
        kind=kind,
        unit_id=unit_id,
        category=category,
    )
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    scoped = visible_nominations(user, campaign_id=campaign_id, kind=kind).order_by(None).subquery()
    counts = dict(
        db.session.execute(select(scoped.c.state, func.count()).group_by(scoped.c.state)).all()
    )

    campaigns = db.session.scalars(
        select(Campaign).order_by(Campaign.year.desc(), Campaign.id.desc())
    ).all()
    # State names and labels from the definitions the campaigns pinned, in definition order.
    states: dict[str, StateDef] = {}
    for c in campaigns:
        for award in c.awards:
            for s in _ordered_states(engine.workflow_by_hash(db.session, award.definition_hash)):
                states.setdefault(s.name, s)

    units = submitter_unit_choices(db.session, user)
    composition_campaigns = [
        c
        for c in db.session.scalars(select(Campaign).where(Campaign.status == "open"))
        if composition_scopes(user, c.federation)
    ]
    return render_template(
        "nominations/dashboard.html",
        composition_campaigns=composition_campaigns,
        queue=[
            (n, _state_of(n), options) for n, options in work_queue(db.session, user, QUEUE_LIMIT)
        ],
        rows=[(n, _state_of(n)) for n in rows],
        total=total,
        page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        counts=counts,
        states=states,
        campaigns=campaigns,
        kinds=AWARD_KINDS,
        filters={
            "state": state,
            "campaign_id": campaign_id,
            "kind": kind,
            "unit_id": unit_id,
            "category": category,
        },
        filter_units=_filter_units(user),
        categories=_categories(campaigns),
        units=units,
        open_campaigns=open_campaigns(db.session) if units else [],
    )


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
    """Return the person categories the campaigns' individual forms offer, for the filter."""
    seen: dict[str, str] = {}
    for c in campaigns:
        award = c.award("individual")
        if award is None:
            continue
        field = engine.workflow_by_hash(db.session, award.definition_hash).nominee_form.field(
            "category"
        )
        for value, label in field.choices if field is not None else ():
            seen.setdefault(value, pick(label))
    return list(seen.items())


# --- a new nomination ------------------------------------------------------------------------


@bp.route("/nominations/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    """Show the award's nominee form and start a nomination (a draft may be incomplete)."""
    user = _user()
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
        try:
            nomination = create_nomination(
                db.session,
                actor=user,
                campaign=campaign,
                kind=kind,
                unit=unit,
                data=clean_data(wf.nominee_form, form),
            )
        except PermissionDenied as exc:
            abort(403, exc.message)
        except InvalidData as exc:
            status, alerts = 422, attach_errors(form, exc.fields)
        except Conflict:
            status = 409
            alerts = [tr("评选活动已结束,不能再推荐", "The campaign is closed")]
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


@dataclass
class Posted:
    """A transition form the user submitted, shown again with its errors and what they typed."""

    trigger: str
    label: str
    form: Form


def _transition_form_class(wf: Workflow, transition: TransitionDef) -> type[VersionedForm]:
    if transition.form:
        return form_class(wf.forms[transition.form], strict=True, base=VersionedForm)
    return VersionedForm


def _render_page(
    nomination: Nomination,
    *,
    posted: Posted | None = None,
    alerts: Sequence[str] = (),
    reasons: Sequence[str] = (),
    status: int = 200,
) -> ResponseReturnValue:
    """Render the nomination page; ``posted`` replaces the fresh form of its transition."""
    user = _user()
    wf = engine.workflow_for(nomination)
    cards = []
    for option in engine.available(nomination, user):
        t = option.transition
        if posted is not None and posted.trigger == t.trigger:
            form = posted.form
        else:
            # formdata=None: never fill the other cards from the request that was posted.
            form = _transition_form_class(wf, t)(formdata=None, version=nomination.version)
        cards.append((option, form))
    # A submitted form whose transition is not open now is still shown, so nothing is lost.
    offered = {option.transition.trigger for option, _ in cards if option.allowed}
    state = wf.state(nomination.state)
    in_full = can_handle_objections(user, nomination)
    events = history(db.session, nomination)
    return (
        render_template(
            "nominations/view.html",
            nomination=nomination,
            state=state,
            workflow=wf,
            rows=_rows(wf.nominee_form, nomination.data or {}),
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
            alerts=alerts,
            reasons=reasons,
            honour=honour_of(db.session, nomination),
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
    user = _user()
    nomination = _nomination_or_abort(nomination_id)
    wf = engine.workflow_for(nomination)
    transition = wf.transition(nomination.state, trigger)
    known = transition or next((t for t in wf.transitions if t.trigger == trigger), None)
    if known is None:
        abort(404, tr("没有这个操作", "No such action"))
    form = _transition_form_class(wf, known)()
    posted = Posted(trigger, pick(known.label), form)
    if transition is None:
        # The nomination moved on since the page was read.
        posted.form = with_version(form, nomination.version)
        alerts = [_conflict_message(nomination, wf)]
        return _render_page(nomination, posted=posted, alerts=alerts, status=409)
    if not can_fire(user, nomination, transition):
        abort(403, tr("您不能执行此操作", "You may not do this"))
    if not form.validate():
        return _render_page(nomination, posted=posted, status=422)

    data = clean_data(wf.forms[transition.form], form) if transition.form else None
    try:
        transition_nomination(
            nomination, actor=user, trigger=trigger, version=form.version.data, data=data
        )
    except PermissionDenied as exc:
        abort(403, exc.message)
    except Conflict:
        # Show the nomination as it is now; the next submission is a decision on that.
        db.session.rollback()
        posted.form = with_version(form, nomination.version)
        alerts = [_conflict_message(nomination, wf)]
        return _render_page(nomination, posted=posted, alerts=alerts, status=409)
    except InvalidData as exc:
        db.session.rollback()
        alerts = attach_errors(form, exc.fields)
        return _render_page(nomination, posted=posted, alerts=alerts, status=422)
    except GuardBlocked as exc:
        db.session.rollback()
        reasons = exc.extra.get("reasons") or [exc.message]
        return _render_page(nomination, posted=posted, reasons=reasons, status=422)
    now = wf.state(nomination.state).label
    flash(
        tr(
            f"已执行:{pick(transition.label, 'zh')}。当前状态:{pick(now, 'zh')}",
            f"Done: {pick(transition.label, 'en')}. Now: {pick(now, 'en')}",
        ),
        "success",
    )
    return redirect(url_for(".view", nomination_id=nomination.id))


# --- editing the nominee data ----------------------------------------------------------------


@bp.route("/nominations/<int:nomination_id>/edit", methods=["GET", "POST"])
@login_required
def edit(nomination_id: int) -> ResponseReturnValue:
    """Edit the nominee data while the state allows it; a stale version is a conflict."""
    user = _user()
    nomination = _nomination_or_abort(nomination_id)
    wf = engine.workflow_for(nomination)
    state = wf.state(nomination.state)
    may_edit = can_edit_nomination(user, nomination, state.editable)
    if not may_edit and state.editable:
        # The state allows editing, so the refusal is about this user.
        abort(403, tr("您不能修改此推荐", "You may not edit this nomination"))
    cls = form_class(wf.nominee_form, strict=False, base=VersionedForm)
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
    try:
        changed = update_nomination(nomination, actor=user, data=data, version=form.version.data)
    except Conflict:
        db.session.rollback()
        differences = [
            (pick(f.label), f.display(nomination.data.get(f.name)), f.display(data.get(f.name)))
            for f in wf.nominee_form.fields
            if nomination.data.get(f.name) != data.get(f.name)
        ]
        return _render_edit(
            nomination,
            wf,
            with_version(form, nomination.version),
            alerts=[_conflict_message(nomination, wf)],
            differences=differences,
            status=409,
        )
    except InvalidData as exc:
        db.session.rollback()
        alerts = attach_errors(form, exc.fields)
        return _render_edit(nomination, wf, form, alerts=alerts, status=422)
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
        ),
        status,
    )
