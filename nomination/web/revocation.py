"""Revocation pages (撤销称号): cases, proposals, decisions, returned items, batch rescission.

URL table (each view is load → check → act → respond; :mod:`nomination.archive.revocation` decides):

    /revocations/                                the cases the user may read (the federation,
                                                 approvers, auditors all; a unit its own),
                                                 filtered by state
    /revocations/new?honour_id=                  propose revoking one honour (grounds, facts);
                                                 without an honour, find one (POST, so that no
                                                 name travels in a URL)
    /revocations/<id>                            the case: the honour, grounds and facts,
                                                 opinions, the decision, items to return, one
                                                 card per transition the user may fire, timeline
    /revocations/<id>/transitions/<trigger>      POST: fire a transition (optimistic locking)
    /revocations/<id>/items/<item_id>/returned   POST: record an item given back
    /revocations/rescind?decision_number=        batch rescission (the approver): the decision's
                                                 active honours, then confirm (POST)

Templates may call ``revocation_proposable(honour)`` (whether the user may propose revoking
it) and import ``honour_status`` from ``revocation/_honour.html`` to show "revoked from DATE".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import DateField, HiddenField, StringField, validators

from nomination import db, engine
from nomination.archive.revocation import (
    PROPOSED_BY,
    WORKFLOW,
    RescissionResult,
    case_history,
    cases_of,
    honours_of_decision,
    load_case,
    load_honour,
    open_case,
    overdue,
    proposable_honours,
    propose,
    record_return,
    rescind_decision,
    transition_case,
    visible_cases,
)
from nomination.audit.chain import event_views
from nomination.definitions.forms import FormDef, clean_data, form_class
from nomination.engine.definitions import TransitionDef, Workflow
from nomination.errors import Conflict, InvalidData, NotFound
from nomination.i18n import lazy, pick
from nomination.labels import AUDIT_ACTION_LABELS, actor_name
from nomination.models import ArchiveCase, HonourRecord, ReturnItem, User, evidence
from nomination.permissions import (
    can_propose_revocation,
    can_record_return,
    can_rescind,
    can_use_revocations,
    concerned_unit,
    proposer_kind,
)
from nomination.web.forms import VersionedForm, validated
from nomination.web.outcomes import operation_errors
from nomination.web.setup import signed_in_user, tr
from nomination.web.transitions import Posted, fire_posted, transition_form_class

bp = Blueprint("revocation", __name__, url_prefix="/revocations")

#: Rows per page of the list of cases.
PAGE_SIZE = 50

#: What a revoked holder gives back, as people read it.
ITEM_LABELS: dict[str, dict[str, str]] = {
    "certificate": {"zh": "荣誉证书", "en": "Certificate"},
    "medal": {"zh": "奖章", "en": "Medal"},
    "plaque": {"zh": "奖牌", "en": "Plaque"},
    "decision": {"zh": "表彰决定文本", "en": "Copy of the conferring decision"},
}


@bp.app_context_processor
def _globals() -> dict[str, Any]:
    """Give every page the link to revocations and the predicate behind "propose revocation"."""
    user = current_user
    signed_in = bool(user and user.is_authenticated)

    def revocation_proposable(honour: HonourRecord) -> bool:
        return signed_in and can_propose_revocation(user, honour)

    return {
        "nav_can_revocations": signed_in and can_use_revocations(user),
        "revocation_proposable": revocation_proposable,
    }


def _workflow() -> Workflow:
    """Return the revocation workflow as the files define it now (for new cases and labels)."""
    return engine.current_definitions()[WORKFLOW]


# --- forms -----------------------------------------------------------------------------------


class ReturnForm(FlaskForm):
    """An item given back: when, and a note (who brought it, its condition)."""

    returned_on = DateField(
        lazy({"zh": "退还日期", "en": "Returned on"}),
        validators=[validators.InputRequired(message=lazy({"zh": "此项必填", "en": "Required"}))],
    )
    note = StringField(
        lazy({"zh": "备注", "en": "Note"}),
        validators=[validators.Optional(), validators.Length(max=300)],
    )


class LookupForm(FlaskForm):
    """Find an honour by its holder's name or its decision number (posted, never in a URL)."""

    q = StringField(
        lazy({"zh": "获得者姓名或表彰决定文号", "en": "Holder's name or decision number"}),
        validators=[validators.InputRequired(), validators.Length(max=100)],
    )


class RescindBase(FlaskForm):
    """The decision rescinded and the honours the approver saw (ids, comma separated).

    The revocation decision's own number is ``decision_number``, so the rescinded one is
    ``rescinded``.
    """

    rescinded = HiddenField(validators=[validators.InputRequired()])
    shown = HiddenField(validators=[validators.InputRequired()])


def _rescind_form_class(wf: Workflow) -> type[RescindBase]:
    """Return the confirm form: grounds and facts, then the revocation decision's fields."""
    proposal = form_class(wf.nominee_form, strict=True, base=RescindBase)
    return form_class(_decision_form(wf), strict=True, base=proposal)


def _decision_form(wf: Workflow) -> FormDef:
    transition = wf.transition("decision", "revoke")
    assert transition is not None and transition.form
    return wf.forms[transition.form]


def _prepared(form: VersionedForm, wf: Workflow, transition: TransitionDef) -> VersionedForm:
    """Leave out per-field remarks: they ask a nomination's unit to revise, not a case."""
    defn = wf.forms.get(transition.form or "")
    for fd in defn.fields if defn is not None else ():
        if fd.type == "remarks" and fd.name in form:
            del form[fd.name]
    return form


# --- presentation helpers --------------------------------------------------------------------


def _as_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _case_rows(wf: Workflow, case: ArchiveCase) -> list[tuple[str, str]]:
    """Return (label, shown value) for the case's own data and who proposed it."""
    data = case.data or {}
    rows = [(pick(f.label), f.display(data.get(f.name))) for f in wf.nominee_form.fields]
    rows.append(
        (tr("提议方", "Proposed by"), pick(PROPOSED_BY.get(data.get("proposed_by", ""), "")))
    )
    if data.get("rescinds"):
        rows.append((tr("整批撤销的表彰决定", "Decision rescinded as a whole"), data["rescinds"]))
    return rows


def _opinions(wf: Workflow, case: ArchiveCase) -> list[dict[str, Any]]:
    labels = {t.trigger: pick(t.label) for t in wf.transitions}
    return [
        {
            "role": o.get("role"),
            "by": o.get("by"),
            "at": _as_time(o.get("at")),
            "action": labels.get(o.get("trigger", ""), o.get("trigger", "")),
            "text": o.get("text", ""),
        }
        for o in evidence.opinions(case)
    ]


def _timeline(wf: Workflow, case: ArchiveCase) -> list[dict[str, Any]]:
    """Return the case's audit events as rows for people to read."""
    events = case_history(db.session, case)
    labels = {t.trigger: pick(t.label) for t in wf.transitions}
    rows = []
    for e, view in zip(events, event_views(db.session, events), strict=True):
        before, after = view.before or {}, view.after or {}
        if e.action.startswith("transition."):
            trigger = e.action.removeprefix("transition.")
            action = labels.get(trigger, trigger)
        else:
            action = pick(AUDIT_ACTION_LABELS.get(e.action, e.action))
        if e.action == "case.return_item":
            item = after.get("item") or ""
            action = f"{action}:{pick(ITEM_LABELS.get(item, item))}"
        rows.append(
            {
                "seq": e.seq,
                "at": e.occurred_at,
                "actor": actor_name(e.actor_name, e.role),
                "role": e.role,
                "action": action,
                "comment": e.comment,
                "before": _state_label(wf, before.get("state")),
                "after": _state_label(wf, after.get("state")),
            }
        )
    return rows


def _state_label(wf: Workflow, name: str | None) -> str:
    if not name:
        return ""
    return pick(wf.states[name].label) if name in wf.states else name


def _items(case: ArchiveCase) -> list[dict[str, Any]]:
    return [
        {
            "item": item,
            "label": pick(ITEM_LABELS.get(item.item, item.item)),
            "overdue": overdue(item),
        }
        for item in case.items
    ]


def _conflict_message(case: ArchiveCase, wf: Workflow) -> str:
    state = wf.state(case.state).label
    return tr(
        f"此案件已被他人更新(当前状态:{pick(state, 'zh')})。"
        "请查看下方的最新内容;您填写的内容已保留,确认后可再次提交。",
        f"Someone else has changed this case (now: {pick(state, 'en')}). "
        "Check the current content below; what you typed is kept and you may submit again.",
    )


# --- the list --------------------------------------------------------------------------------


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    """List the revocation cases the user may read, optionally in one state."""
    user = signed_in_user()
    if not can_use_revocations(user):
        abort(403)
    wf = _workflow()
    state = request.args.get("state")
    state = state if state in wf.states else None
    page = max(request.args.get("page", 1, type=int), 1)
    query = visible_cases(user, state=state)
    total = db.session.execute(
        select(func.count()).select_from(query.order_by(None).subquery())
    ).scalar_one()
    cases = db.session.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    scoped = visible_cases(user).order_by(None).subquery()
    counts: dict[str, int] = dict(
        db.session.execute(select(scoped.c.state, func.count()).group_by(scoped.c.state)).all()
    )
    grounds = wf.nominee_form.field("grounds")
    return render_template(
        "revocation/index.html",
        rows=[
            {
                "case": c,
                "state": engine.workflow_for(c).state(c.state),
                "grounds": grounds.display((c.data or {}).get("grounds")) if grounds else "",
                "proposed_by": pick(PROPOSED_BY.get((c.data or {}).get("proposed_by", ""), "")),
                "outstanding": sum(1 for i in c.items if i.returned_on is None),
            }
            for c in cases
        ],
        states=list(wf.states.values()),
        state=state,
        counts=counts,
        total=total,
        page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        may_propose=any(proposer_kind(user, r.organisation) for r in user.roles),
        may_rescind=can_rescind(user),
    )


# --- proposing -------------------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    """Propose revoking an honour; without one, find the honour first."""
    user = signed_in_user()
    honour_id = request.args.get("honour_id", type=int)
    if honour_id is None:
        return _lookup(user)
    with operation_errors(catch=(NotFound,)) as found:
        honour = load_honour(db.session, honour_id, user)
    if found.refused:
        abort(404, tr("没有这项荣誉记录", "No such honour"))
    wf = _workflow()
    form = form_class(wf.nominee_form, strict=True, base=FlaskForm)()
    status, alerts = 200, []
    if request.method == "POST":
        if form.validate():
            data = clean_data(wf.nominee_form, form)
            with operation_errors(form) as outcome:
                case = propose(
                    db.session, honour, user, grounds=data["grounds"], facts=data["facts"]
                )
            if outcome.invalid:
                status, alerts = outcome.status, outcome.alerts
            elif outcome.conflict:
                status = 409
                alerts = [
                    tr(
                        "此称号已有撤销案件在办理中,或已被撤销;您填写的内容已保留。",
                        "A revocation of this title is already under way, or it has been "
                        "revoked; what you typed is kept.",
                    )
                ]
            else:
                flash(tr("已提议撤销称号", "Revocation proposed"), "success")
                return redirect(url_for(".view", case_id=case.id))
        else:
            status = 422
    under_way = open_case(db.session, honour)
    return (
        render_template(
            "revocation/new.html",
            honour=honour,
            unit=concerned_unit(honour),
            form=form,
            # After a conflict the typed form stays on the page (read-only use: copy it).
            show_form=(can_propose_revocation(user, honour) and under_way is None) or status == 409,
            under_way=under_way,
            cases=cases_of(db.session, honour),
            state_labels={s.name: pick(s.label) for s in wf.states.values()},
            alerts=alerts,
        ),
        status,
    )


def _lookup(user: User) -> ResponseReturnValue:
    """Find honours the user may propose revoking, by holder's name or decision number."""
    if not any(proposer_kind(user, r.organisation) for r in user.roles):
        abort(403, tr("您不能提议撤销称号", "You may not propose revoking titles"))
    form = LookupForm()
    found: list[HonourRecord] | None = None
    status = 200
    if request.method == "POST":
        if form.validate():
            found = proposable_honours(db.session, user, form.q.data or "")
        else:
            status = 422
    return render_template("revocation/lookup.html", form=form, found=found), status


# --- the case page ---------------------------------------------------------------------------


#: Guards that refuse a step to a role for good on this case, not for now: a card blocked
#: only by these is not shown (the approver never reviews a single case).
_NOT_OFFERED = {"approver_reviews_batch_only"}


def _never_yours(option: engine.Available) -> bool:
    """Return whether ``option`` is refused only by guards that will not change their mind."""
    refused = {c.guard for c in option.checks if c.passed is False}
    return bool(refused) and refused <= _NOT_OFFERED


def _case_or_abort(case_id: int) -> ArchiveCase:
    return load_case(db.session, case_id, signed_in_user())


def _render_case(
    case: ArchiveCase,
    *,
    posted: Posted | None = None,
    return_form: tuple[int, ReturnForm] | None = None,
    alerts: Sequence[str] = (),
    reasons: Sequence[str] = (),
    status: int = 200,
) -> ResponseReturnValue:
    """Render the case page; ``posted`` replaces the fresh form of its transition."""
    user = signed_in_user()
    wf = engine.workflow_for(case)
    cards = []
    for option in engine.available(case, user):
        t = option.transition
        if _never_yours(option):
            continue
        if posted is not None and posted.trigger == t.trigger:
            option = posted.judged(option)
            form = posted.form
        else:
            form = transition_form_class(wf, t)(formdata=None, version=case.version)
            form = _prepared(form, wf, t)
        cards.append((option, form))
    offered = {option.transition.trigger for option, _ in cards if option.allowed}
    may_return = can_record_return(user, case)
    return_forms = {}
    if may_return:
        for item in case.items:
            if item.returned_on is None:
                if return_form is not None and return_form[0] == item.id:
                    return_forms[item.id] = return_form[1]
                else:
                    return_forms[item.id] = ReturnForm(formdata=None)
    decision = evidence.decision(case)
    return (
        render_template(
            "revocation/case.html",
            case=case,
            honour=case.honour,
            workflow=wf,
            state=wf.state(case.state),
            rows=_case_rows(wf, case),
            opinions=_opinions(wf, case),
            decision=decision,
            decision_rows=_decision_rows(wf, decision) if decision else [],
            items=_items(case),
            return_forms=return_forms,
            cards=cards,
            orphan=posted if posted is not None and posted.trigger not in offered else None,
            timeline=_timeline(wf, case),
            alerts=alerts,
            reasons=reasons,
        ),
        status,
    )


def _decision_rows(wf: Workflow, decision: dict[str, Any]) -> list[tuple[str, str]]:
    """Return the revocation decision as (label, value) rows."""
    defn = _decision_form(wf)
    rows = []
    for name in ("decision_number", "decision_date", "revoked_on"):
        fd = defn.field(name)
        rows.append((pick(fd.label) if fd else name, str(decision.get(name) or "")))
    items = "、".join(pick(ITEM_LABELS.get(i, i)) for i in decision.get("items") or [])
    rows.append((tr("收回物品", "Items to return"), items or tr("无", "None")))
    if decision.get("return_due"):
        fd = defn.field("return_due")
        rows.append((pick(fd.label) if fd else "return_due", decision["return_due"]))
    return rows


@bp.route("/<int:case_id>")
@login_required
def view(case_id: int) -> ResponseReturnValue:
    """Show a revocation case with its honour, evidence, items, transitions and timeline."""
    return _render_case(_case_or_abort(case_id))


@bp.route("/<int:case_id>/transitions/<trigger>", methods=["POST"])
@login_required
def fire(case_id: int, trigger: str) -> ResponseReturnValue:
    """Fire ``trigger`` with its form; on refusal show the page again with what was typed."""
    case = _case_or_abort(case_id)
    return fire_posted(
        case,
        trigger,
        user=signed_in_user(),
        fit=_prepared,
        operation=transition_case,
        render=_render_case,
        conflict_message=_conflict_message,
        done_url=url_for(".view", case_id=case.id),
    )


@bp.route("/<int:case_id>/items/<int:item_id>/returned", methods=["POST"])
@login_required
def returned(case_id: int, item_id: int) -> ResponseReturnValue:
    """Record that an item was given back; a second record of the same item is a conflict."""
    user = signed_in_user()
    case = _case_or_abort(case_id)
    item = db.session.get(ReturnItem, item_id)
    if item is None or item.case_id != case.id:
        abort(404)
    if not can_record_return(user, case):
        abort(403, tr("您不能登记物品退还", "You may not record returned items"))
    form = ReturnForm()
    if not form.validate():
        return _render_case(case, return_form=(item.id, form), status=422)
    with operation_errors(form) as outcome:
        record_return(db.session, item, user, validated(form.returned_on.data), note=form.note.data)
    if outcome.invalid:
        return _render_case(
            case, return_form=(item.id, form), alerts=outcome.alerts, status=outcome.status
        )
    if outcome.conflict:
        alerts = [tr("该物品已登记为退还", "This item has already been recorded as returned")]
        return _render_case(case, alerts=alerts, status=409)
    flash(tr("已登记物品退还", "Recorded as returned"), "success")
    return redirect(url_for(".view", case_id=case.id) + "#return-items")


# --- batch rescission ------------------------------------------------------------------------


def _shown_ids(value: str | None) -> set[int] | None:
    """Return the honour ids the confirm form carried, or None when malformed."""
    parts = [p for p in (value or "").split(",") if p]
    if not parts or not all(p.isdigit() for p in parts):
        return None
    return {int(p) for p in parts}


@bp.route("/rescind", methods=["GET", "POST"])
@login_required
def rescind() -> ResponseReturnValue:
    """Rescind every honour of one decision: look it up, check the list, confirm (the approver)."""
    user = signed_in_user()
    if not can_rescind(user):
        abort(403, tr("只有审批人可以整批撤销", "Only the approver may rescind a decision"))
    wf = _workflow()
    cls = _rescind_form_class(wf)
    if request.method == "GET":
        number = (request.args.get("decision_number") or "").strip()[:64]
        honours = honours_of_decision(db.session, number, user) if number else []
        form = cls(
            formdata=None,
            rescinded=number,
            shown=",".join(str(h.id) for h in honours),
        )
        return render_template(
            "revocation/rescind.html", number=number, honours=honours, form=form, alerts=[]
        )

    form = cls()
    number = (form.rescinded.data or "").strip()
    shown = _shown_ids(form.shown.data)
    honours = honours_of_decision(db.session, number, user)

    def again(alerts: Sequence[str], status: int) -> ResponseReturnValue:
        return (
            render_template(
                "revocation/rescind.html", number=number, honours=honours, form=form, alerts=alerts
            ),
            status,
        )

    if not form.validate() or shown is None:
        return again([], 422)
    proposal = clean_data(wf.nominee_form, form)
    decision = clean_data(_decision_form(wf), form)
    with operation_errors(form, catch=(InvalidData, Conflict, NotFound)) as outcome:
        results = rescind_decision(
            db.session,
            number,
            user,
            grounds=proposal["grounds"],
            facts=proposal["facts"],
            revocation=decision,
            expected=shown,
        )
    if outcome.invalid:
        return again(outcome.alerts, outcome.status)
    if outcome.refused:  # the decision's honours changed meanwhile
        honours = honours_of_decision(db.session, number, user)
        # The approver now sees the current list; confirming again is a decision on it.
        formdata = request.form.copy()
        formdata["shown"] = ",".join(str(h.id) for h in honours)
        form = cls(formdata=formdata)
        alert = tr(
            "该表彰决定下的有效称号已有变化,请核对下方最新名单后再确认;您填写的内容已保留。",
            "The active honours of this decision changed meanwhile. Check the current list "
            "below and confirm again; what you typed is kept.",
        )
        return again([alert], 409)
    return render_template(
        "revocation/rescind_result.html",
        number=number,
        results=[{"result": r, "why": "" if r.done else _refusal(r)} for r in results],
        done=sum(r.done for r in results),
    )


def _refusal(result: RescissionResult) -> str:
    """Return why one honour of a batch was not revoked, as people read it."""
    if result.code == "conflict":
        return tr(
            "此称号已有撤销案件在办理中,请在该案件中办理",
            "A revocation of this title is already under way; decide it in its case",
        )
    if result.fields:
        return ";".join(" ".join(messages) for messages in result.fields.values())
    return result.message
