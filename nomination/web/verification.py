"""Annual verification pages (年度核查): rounds for the federation, a case for each unit.

URL table (each view is load → check → act → respond; :mod:`nomination.archive.verification`
decides):

    /verification/                                 the rounds the user follows (and the form
                                                   to open one), the cases of the user's units
    /verification/rounds                           POST: the federation opens a round
    /verification/rounds/<id>                      the round: every unit's case, the overdue
                                                   units, the report so far (or the final one)
    /verification/rounds/<id>/close               POST: the federation closes it
    /verification/rounds/<id>/report              the report, standalone, for printing
    /verification/cases/<id>                       one unit's case: its people, the contact,
                                                   one card per transition the user may fire
    /verification/cases/<id>/contact               POST: the unit's contact for the round
    /verification/cases/<id>/entries/<eid>/confirm POST: a person is confirmed as recorded
    /verification/cases/<id>/entries/<eid>         GET/POST: a person's corrections
    /verification/cases/<id>/transitions/<trigger> POST: fire a transition
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    Form,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    validators,
)

# types-WTForms 3.2 lacks SelectChoice, which WTForms 3.3 has: the stub is behind the library.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]

from nomination import db, engine
from nomination.archive import verification
from nomination.db import local_today, utcnow
from nomination.definitions.forms import clean_data, form_class, to_formdata
from nomination.engine.definitions import TransitionDef, Workflow
from nomination.errors import Conflict
from nomination.i18n import lazy, pick
from nomination.models import ArchiveCase, Organisation, User, VerificationRound, evidence
from nomination.models.archive import PERSON_STATUSES
from nomination.permissions import (
    can_answer_verification,
    can_follow_verification,
    can_open_verification,
    can_use_verification,
)
from nomination.web.forms import VersionedForm, attach_errors, validated, with_version
from nomination.web.outcomes import operation_errors
from nomination.web.setup import org_name, signed_in_user, tr
from nomination.web.transitions import Posted, fire_posted, transition_form_class

bp = Blueprint("verification", __name__, url_prefix="/verification")


@bp.app_context_processor
def _navigation() -> dict[str, Any]:
    """Tell the layout whether to link here: the federation, and units in an open round."""
    user = current_user
    signed_in = bool(user and user.is_authenticated)
    return {"nav_can_verify": signed_in and can_use_verification(user)}


def _optional_int(value: Any) -> int | None:
    if value in (None, ""):
        return None
    return int(value)


# --- forms -----------------------------------------------------------------------------------


class CloseRoundForm(FlaskForm):
    """Closing a round: the units shown as not having answered, and the reviewer's yes."""

    #: The case ids listed on the page: a confirmation covers those, not any that appear later.
    not_answered = HiddenField()
    confirm = BooleanField(
        lazy(
            {
                "zh": "我已知晓上述单位未报送核查结果,仍结束本轮核查",
                "en": "I know these units have not answered; close the round anyway",
            }
        )
    )


def _case_ids(text: str | None) -> list[int]:
    """Return the case ids of a comma-separated list (what is not a number is left out)."""
    return [int(part) for part in (text or "").split(",") if part.strip().isdigit()]


class OpenRoundForm(FlaskForm):
    """What the federation gives when it opens a round."""

    federation_id = SelectField(
        lazy({"zh": "组织单位", "en": "Federation"}),
        coerce=_optional_int,
        validators=[validators.InputRequired()],
    )
    year = IntegerField(
        lazy({"zh": "核查年度", "en": "Year verified"}),
        validators=[validators.InputRequired(), validators.NumberRange(min=2000, max=2100)],
    )
    due_date = DateField(
        lazy({"zh": "报送截止日期", "en": "Due date"}),
        validators=[validators.InputRequired()],
        description=lazy(
            {
                "zh": "截止当日24时(北京时间)前未报送的单位列为逾期",
                "en": "Units that have not submitted by the end of this day (Beijing time) "
                "are overdue",
            }
        ),
    )


class ConfirmForm(VersionedForm):
    """A person confirmed as recorded (CSRF and the case's version)."""


class CorrectionForm(VersionedForm):
    """A person's details as the unit says they should read (filled with the record's)."""

    status = SelectField(
        lazy(verification.FIELD_LABELS["status"]),
        choices=[
            SelectChoice(s, lazy(verification.PERSON_STATUS_LABELS[s])) for s in PERSON_STATUSES
        ],
        validators=[validators.InputRequired()],
    )
    effective_date = DateField(
        lazy(verification.FIELD_LABELS["effective_date"]),
        validators=[validators.Optional()],
        description=lazy(
            {
                "zh": "状态有变化时必填:退休、调动、去世等的日期",
                "en": "Needed when the status changes: the date of retirement, transfer, death…",
            }
        ),
    )
    phone = StringField(
        lazy(verification.FIELD_LABELS["phone"]),
        validators=[validators.Optional(), validators.Length(max=32)],
    )
    address = StringField(
        lazy(verification.FIELD_LABELS["address"]),
        validators=[validators.Optional(), validators.Length(max=300)],
    )
    unit_name = StringField(
        lazy(verification.FIELD_LABELS["unit_name"]),
        validators=[validators.Optional(), validators.Length(max=200)],
    )
    post = StringField(
        lazy(verification.FIELD_LABELS["post"]),
        validators=[validators.Optional(), validators.Length(max=200)],
    )


def _contact_form_class(wf: Workflow) -> type[VersionedForm]:
    return form_class(wf.nominee_form, strict=False, base=VersionedForm)


def _prepared(form: VersionedForm, wf: Workflow, transition: TransitionDef) -> VersionedForm:
    """Leave out per-field remarks: a verification's own form is a contact, not a file."""
    defn = wf.forms.get(transition.form or "")
    for fd in defn.fields if defn is not None else ():
        if fd.type == "remarks" and fd.name in form:
            del form[fd.name]
    return form


# --- the list and opening --------------------------------------------------------------------


def _open_form(user: User, form: OpenRoundForm | None = None) -> OpenRoundForm | None:
    """Return the opening form with the federations ``user`` may open rounds for, or None."""
    federations = verification.federations_of(db.session, user)
    if not federations:
        return None
    if form is None:
        today = local_today()
        form = OpenRoundForm(formdata=None, year=today.year, federation_id=federations[0].id)
    form.federation_id.choices = [SelectChoice(f.id, org_name(f)) for f in federations]
    return form


def _render_index(
    form: OpenRoundForm | None = None, *, status: int = 200, alerts: Sequence[str] = ()
) -> ResponseReturnValue:
    user = signed_in_user()
    rounds = verification.visible_rounds(db.session, user)
    now = utcnow()
    summaries = {}
    for r in rounds:
        tally = verification.counts(db.session, r)
        cases = verification.cases_of(db.session, r)
        summaries[r.id] = {
            "units": len(cases),
            "people": sum(tally[c.id]["people"] for c in cases),
            "done": sum(1 for c in cases if c.state in verification.DONE_STATES),
            "overdue": sum(1 for c in cases if verification.is_overdue(c, r, now)),
        }
    cases = verification.unit_cases(db.session, user)
    return (
        render_template(
            "verification/index.html",
            open_form=_open_form(user, form),
            rounds=rounds,
            summaries=summaries,
            cases=cases,
            states={c.id: engine.workflow_for(c).state(c.state) for c in cases},
            overdue={c.id: verification.is_overdue(c, _round_of(c), now) for c in cases},
            status_labels=verification.ROUND_STATUS_LABELS,
            alerts=alerts,
        ),
        status,
    )


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    """List the rounds the user follows, the opening form, and the user's units' cases."""
    user = signed_in_user()
    if not can_use_verification(user) and not verification.unit_cases(db.session, user):
        abort(403, tr("您没有年度核查任务", "You have no part in the annual verification"))
    return _render_index()


@bp.route("/rounds", methods=["POST"])
@login_required
def open_round() -> ResponseReturnValue:
    """Open a round for a federation (its reviewers)."""
    user = signed_in_user()
    form = _open_form(user, OpenRoundForm())
    if form is None:
        abort(403, tr("只有区总工会可以组织年度核查", "Only the federation opens verification"))
    if not form.validate_on_submit():
        return _render_index(form, status=422)
    federation = db.session.get_one(Organisation, form.federation_id.data)
    with operation_errors(form) as outcome:
        round_ = verification.open_round(
            db.session,
            federation,
            user,
            year=validated(form.year.data),
            due_date=validated(form.due_date.data),
        )
    if outcome.refused:
        return _render_index(form, status=outcome.status, alerts=outcome.alerts)
    flash(
        tr(
            f"{round_.year}年度核查已开始({len(round_.cases)}个单位)",
            f"The {round_.year} verification is open ({len(round_.cases)} units)",
        ),
        "success",
    )
    return redirect(url_for(".round_view", round_id=round_.id))


# --- the round -------------------------------------------------------------------------------


def _round_or_404(round_id: int) -> VerificationRound:
    return verification.load_round(db.session, round_id, signed_in_user())


def _round_rows(round_: VerificationRound, report: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the report's unit rows with each case's state (label and badge) for display."""
    cases = {c.id: c for c in verification.cases_of(db.session, round_)}
    rows = []
    for row in report["units"]:
        case = cases.get(row["case_id"])
        state = engine.workflow_for(case).state(row["state"]) if case is not None else None
        rows.append({**row, "state_def": state})
    return rows


def _render_round(
    round_: VerificationRound, *, status: int = 200, alerts: Sequence[str] = ()
) -> ResponseReturnValue:
    user = signed_in_user()
    report = verification.report(round_)
    federation = db.session.get_one(Organisation, round_.federation_id)
    can_close = round_.status == "open" and can_open_verification(user, federation)
    silent = verification.not_answered(db.session, round_) if can_close else []
    close_form = None
    if can_close:
        close_form = CloseRoundForm(formdata=None, not_answered=",".join(str(c.id) for c in silent))
    return (
        render_template(
            "verification/round.html",
            round=round_,
            federation=federation,
            report=report,
            rows=_round_rows(round_, report),
            deadline=verification.deadline(round_),
            close_form=close_form,
            silent=silent,
            link_cases=True,
            status_labels=verification.ROUND_STATUS_LABELS,
            person_status_labels=verification.PERSON_STATUS_LABELS,
            alerts=alerts,
        ),
        status,
    )


@bp.route("/rounds/<int:round_id>")
@login_required
def round_view(round_id: int) -> ResponseReturnValue:
    """Show the round: every unit's case, the overdue units, the report."""
    return _render_round(_round_or_404(round_id))


@bp.route("/rounds/<int:round_id>/close", methods=["POST"])
@login_required
def close(round_id: int) -> ResponseReturnValue:
    """Close the round and keep its report (the federation's reviewers)."""
    user = signed_in_user()
    round_ = _round_or_404(round_id)
    federation = db.session.get_one(Organisation, round_.federation_id)
    if not can_open_verification(user, federation):
        abort(403, tr("只有区总工会可以结束核查", "Only the federation closes the verification"))
    form = CloseRoundForm()
    if not form.validate_on_submit():
        return _render_round(
            round_,
            status=400,
            alerts=[tr("无法提交,请刷新页面后重试。", "Could not submit; reload the page.")],
        )
    # Only the units the page listed are confirmed: one listed since is a new question.
    acknowledged = _case_ids(form.not_answered.data) if form.confirm.data else []
    with operation_errors(catch=(Conflict,)) as outcome:
        verification.close_round(db.session, round_, user, acknowledged=acknowledged)
    if outcome.refused:
        return _render_round(round_, status=outcome.status, alerts=outcome.alerts)
    flash(tr("本轮核查已结束,结果已存档", "The round is closed and its report kept"), "success")
    return redirect(url_for(".round_view", round_id=round_.id))


@bp.route("/rounds/<int:round_id>/report")
@login_required
def print_report(round_id: int) -> ResponseReturnValue:
    """Show the report standalone, for printing."""
    round_ = _round_or_404(round_id)
    report = verification.report(round_)
    return render_template(
        "verification/print.html",
        round=round_,
        federation=db.session.get(Organisation, round_.federation_id),
        report=report,
        rows=_round_rows(round_, report),
        person_status_labels=verification.PERSON_STATUS_LABELS,
        link_cases=False,
    )


# --- one unit's case -------------------------------------------------------------------------


def _case_or_404(case_id: int) -> ArchiveCase:
    return verification.load_case(db.session, case_id, signed_in_user())


def _round_of(case: ArchiveCase) -> VerificationRound:
    """Return the round of a verification case (a revocation case has none)."""
    round_ = case.verification_round
    assert round_ is not None, "every verification case belongs to a round"
    return round_


def _opinions(wf: Workflow, case: ArchiveCase) -> list[dict[str, Any]]:
    """Return the opinions recorded with the case's transitions, with their actions named."""
    labels = {t.trigger: t.label for t in wf.transitions}
    return [
        {**o, "action": pick(labels.get(o.get("trigger", ""), o.get("trigger", "")))}
        for o in evidence.opinions(case)
    ]


def _render_case(
    case: ArchiveCase,
    *,
    posted: Posted | None = None,
    contact_form: Form | None = None,
    alerts: Sequence[str] = (),
    reasons: Sequence[str] = (),
    status: int = 200,
) -> ResponseReturnValue:
    """Render the case; ``posted`` and ``contact_form`` replace the fresh forms they stand for."""
    user = signed_in_user()
    wf = engine.workflow_for(case)
    round_ = _round_of(case)
    state = wf.state(case.state)
    can_answer = can_answer_verification(user, case) and state.editable and round_.status == "open"
    cards = []
    for option in engine.available(case, user):
        t = option.transition
        if posted is not None and posted.trigger == t.trigger:
            option = posted.judged(option)
            form = posted.form
        else:
            form = transition_form_class(wf, t)(formdata=None, version=case.version)
            form = _prepared(form, wf, t)
        cards.append((option, form))
    offered = {option.transition.trigger for option, _ in cards if option.allowed}
    if can_answer and contact_form is None:
        contact_form = _contact_form_class(wf)(
            formdata=to_formdata(wf.nominee_form, case.data or {}), version=case.version
        )
    entries = verification.entries_of(db.session, case)
    return (
        render_template(
            "verification/case.html",
            case=case,
            round=round_,
            state=state,
            workflow=wf,
            deadline=verification.deadline(round_),
            overdue=verification.is_overdue(case, round_, utcnow()),
            people=[verification.entry_view(e) for e in entries],
            contact_rows=[
                (pick(f.label), f.display((case.data or {}).get(f.name)))
                for f in wf.nominee_form.fields
            ],
            contact_form=contact_form if can_answer else None,
            contact_required={f.name for f in wf.nominee_form.fields if f.required},
            confirm_form=ConfirmForm(formdata=None, version=case.version) if can_answer else None,
            can_answer=can_answer,
            cards=cards,
            orphan=posted if posted is not None and posted.trigger not in offered else None,
            opinions=_opinions(wf, case),
            outcome_labels=verification.OUTCOME_LABELS,
            person_status_labels=verification.PERSON_STATUS_LABELS,
            field_labels=verification.FIELD_LABELS,
            can_follow=can_follow_verification(user, case.federation),
            alerts=alerts,
            reasons=reasons,
        ),
        status,
    )


def _conflict_message(case: ArchiveCase, wf: Workflow) -> str:
    label = wf.state(case.state).label
    return tr(
        f"此核查单已被他人更新(当前状态:{pick(label, 'zh')})。"
        "请查看下方的最新内容;您填写的内容已保留,确认后可再次提交。",
        f"Someone else has changed this verification (now: {pick(label, 'en')}). "
        "Check it below; what you typed is kept and you may submit again.",
    )


@bp.route("/cases/<int:case_id>")
@login_required
def case_view(case_id: int) -> ResponseReturnValue:
    """Show one unit's case: its people, its contact, what the user may do."""
    return _render_case(_case_or_404(case_id))


@bp.route("/cases/<int:case_id>/contact", methods=["POST"])
@login_required
def contact(case_id: int) -> ResponseReturnValue:
    """Save the unit's contact for this round."""
    user = signed_in_user()
    case = _case_or_404(case_id)
    if not can_answer_verification(user, case):
        abort(403, tr("只有本单位可以填报", "Only the unit fills this in"))
    wf = engine.workflow_for(case)
    form = _contact_form_class(wf)()
    if not form.validate():
        return _render_case(case, contact_form=form, status=422)
    with operation_errors(form) as outcome:
        verification.update_case_data(
            db.session, case, user, clean_data(wf.nominee_form, form), version=form.version.data
        )
    if outcome.conflict:
        form = with_version(form, case.version)
    if outcome.refused:
        return _render_case(case, contact_form=form, alerts=outcome.alerts, status=outcome.status)
    flash(tr("联系人已保存", "The contact is saved"), "success")
    return redirect(url_for(".case_view", case_id=case.id))


@bp.route("/cases/<int:case_id>/entries/<int:entry_id>/confirm", methods=["POST"])
@login_required
def confirm(case_id: int, entry_id: int) -> ResponseReturnValue:
    """Record that a person's details are right as recorded."""
    user = signed_in_user()
    case = _case_or_404(case_id)
    entry = verification.load_entry(db.session, case, entry_id)
    if not can_answer_verification(user, case):
        abort(403, tr("只有本单位可以核实", "Only the unit verifies its people"))
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _render_case(
            case,
            status=400,
            alerts=[tr("无法提交,请刷新页面后重试。", "Could not submit; reload the page.")],
        )
    with operation_errors(catch=(Conflict,)) as outcome:
        verification.answer_entry(
            db.session, entry, user, outcome="confirmed", version=form.version.data
        )
    if outcome.refused:
        return _render_case(case, status=outcome.status, alerts=outcome.alerts)
    flash(tr(f"已确认:{entry.person.name}", f"Confirmed: {entry.person.name}"), "success")
    return redirect(url_for(".case_view", case_id=case.id, _anchor=f"entry-{entry.id}"))


def _render_entry(
    case: ArchiveCase,
    entry: Any,
    form: CorrectionForm,
    *,
    status: int = 200,
    alerts: Sequence[str] = (),
) -> ResponseReturnValue:
    return (
        render_template(
            "verification/entry.html",
            case=case,
            round=case.verification_round,
            person=verification.entry_view(entry),
            form=form,
            person_status_labels=verification.PERSON_STATUS_LABELS,
            alerts=alerts,
        ),
        status,
    )


@bp.route("/cases/<int:case_id>/entries/<int:entry_id>", methods=["GET", "POST"])
@login_required
def correct(case_id: int, entry_id: int) -> ResponseReturnValue:
    """Show a person's details to correct (filled with the record's); save the corrections."""
    user = signed_in_user()
    case = _case_or_404(case_id)
    entry = verification.load_entry(db.session, case, entry_id)
    if not can_answer_verification(user, case):
        abort(403, tr("只有本单位可以更正", "Only the unit corrects its people"))
    person = entry.person
    if request.method == "GET":
        # The record as it stands, with an earlier correction laid over it.
        values = {
            "status": person.status,
            "phone": person.phone or "",
            "address": person.address or "",
            "unit_name": person.unit_name or "",
            "post": person.post or "",
            **(entry.corrections or {}),
        }
        effective = values.pop("effective_date", None)
        form = CorrectionForm(
            formdata=None,
            version=case.version,
            effective_date=verification._as_date(effective),
            **values,
        )
        return _render_entry(case, entry, form)
    form = CorrectionForm()
    if not form.validate_on_submit():
        return _render_entry(case, entry, form, status=422)
    corrections = {
        "status": form.status.data,
        "effective_date": form.effective_date.data,
        "phone": form.phone.data or "",
        "address": form.address.data or "",
        "unit_name": form.unit_name.data or "",
        "post": form.post.data or "",
    }
    with operation_errors() as outcome:  # the form's messages are placed below
        verification.answer_entry(
            db.session,
            entry,
            user,
            outcome="corrected",
            corrections=corrections,
            version=form.version.data,
        )
    if outcome.conflict:
        form = with_version(form, case.version)
        return _render_entry(case, entry, form, status=outcome.status, alerts=outcome.alerts)
    if outcome.invalid:
        fields = dict(outcome.fields)
        # "Nothing differs" concerns the whole form, not one field.
        alerts = [*fields.pop("corrections", []), *attach_errors(form, fields)]
        return _render_entry(case, entry, form, status=outcome.status, alerts=alerts)
    flash(tr(f"已更正:{person.name}", f"Corrected: {person.name}"), "success")
    return redirect(url_for(".case_view", case_id=case.id, _anchor=f"entry-{entry.id}"))


@bp.route("/cases/<int:case_id>/transitions/<trigger>", methods=["POST"])
@login_required
def fire(case_id: int, trigger: str) -> ResponseReturnValue:
    """Fire ``trigger`` with its form; on refusal show the case again with what was typed."""
    case = _case_or_404(case_id)
    return fire_posted(
        case,
        trigger,
        user=signed_in_user(),
        fit=_prepared,
        operation=verification.transition_case,
        render=_render_case,
        conflict_message=_conflict_message,
        done_url=url_for(".case_view", case_id=case.id),
    )
