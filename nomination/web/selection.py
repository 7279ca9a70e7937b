"""Selection committee pages (评审委员会): rounds, sealed votes, recusals, the tally.

URL table (each view is load → check → act → respond; :mod:`nomination.selection.operations`
decides):

    /selection-rounds                          the rounds the user may see; the federation's
                                               reviewers also see what they may open
    /selection-rounds/new?campaign_id=&kind=   open a round: shortlist, judges, chair, places
    /selection-rounds/<id>                     the round: a judge's ballot and recusals; the
                                               federation's view of who has voted; the tally
    /selection-rounds/<id>/votes               POST: a judge's votes (one form for the list)
    /selection-rounds/<id>/recusals            POST: a judge stands aside, with the reason
    /selection-rounds/<id>/close               POST: the federation closes the vote
    /selection-rounds/<id>/decision            POST: the chair decides a tie at the last place
    /selection-rounds/<id>/print               the tally, standalone, for printing and signing
    /selection-rounds/<id>/tally.pdf           the same as a PDF
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    TextAreaField,
    validators,
    widgets,
)
from wtforms.widgets import HiddenInput

from nomination import db, engine
from nomination.errors import Conflict, PermissionDenied
from nomination.i18n import lazy, pick
from nomination.models import Campaign, SelectionRound, User
from nomination.models.selection import VOTES
from nomination.nominations.printform import render_pdf
from nomination.nominations.queries import open_campaigns
from nomination.permissions import (
    can_close_round,
    can_decide_tie,
    can_open_round,
    can_use_selection,
    can_vote,
)
from nomination.selection import operations as selection
from nomination.web.outcomes import operation_errors
from nomination.web.setup import award_title, org_name, signed_in_user, tr

bp = Blueprint("selection", __name__, url_prefix="/selection-rounds")


@bp.app_context_processor
def _navigation() -> dict[str, Any]:
    """Tell the layout whether to link to the selection rounds (judges and the federation)."""
    user = current_user
    return {"nav_can_select": bool(user and user.is_authenticated) and can_use_selection(user)}


def _optional_int(value: Any) -> int | None:
    """Coerce a posted choice to an int; an empty choice is None (then InputRequired says so)."""
    if value in (None, ""):
        return None
    return int(value)


class _Checkboxes(SelectMultipleField):
    """Several choices as checkboxes (the template lays each one out with its details)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class OpenRoundForm(FlaskForm):
    """What the federation chooses when it opens a round."""

    nomination_ids = _Checkboxes(
        lazy({"zh": "参评推荐对象", "en": "Nominations voted on"}), coerce=int
    )
    judge_ids = _Checkboxes(lazy({"zh": "评审委员", "en": "Judges"}), coerce=int)
    chair_id = SelectField(
        lazy({"zh": "主任委员", "en": "Chair"}),
        coerce=_optional_int,
        validators=[validators.InputRequired()],
        description=lazy(
            {
                "zh": "须为所选评审委员之一;票数相同时由其决定",
                "en": "One of the judges chosen; decides a tie at the last place",
            }
        ),
    )
    places = IntegerField(
        lazy({"zh": "入选名额", "en": "Places"}),
        validators=[validators.InputRequired(), validators.NumberRange(min=0, max=100000)],
        description=lazy(
            {
                "zh": "默认为本奖项的名额总数减去此前各轮已入选人数;无名额时为参评人数",
                "en": "By default the award's quota less those selected in earlier rounds; "
                "without a quota, the number of nominations",
            }
        ),
    )


class RecusalForm(FlaskForm):
    """A judge stands aside on one nomination and says why."""

    nomination_id = SelectField(
        lazy({"zh": "回避的推荐对象", "en": "Nomination"}),
        coerce=_optional_int,
        validators=[validators.InputRequired()],
    )
    reason = TextAreaField(
        lazy({"zh": "回避理由", "en": "Reason"}),
        validators=[
            validators.InputRequired(),
            validators.Length(min=selection.REASON_MIN, max=selection.REASON_MAX),
        ],
        description=lazy(
            {
                "zh": "将向本轮全体委员和区总工会显示,并记入审计记录",
                "en": "Shown to every member of the round and to the federation, and audited",
            }
        ),
    )


class VersionForm(FlaskForm):
    """A button that acts on the round as the user saw it (CSRF and the round's version)."""

    version = IntegerField(widget=HiddenInput(), validators=[validators.InputRequired()])


class CloseForm(VersionForm):
    """The closer's confirmation: the round as the preview showed it, and the confirmation."""

    confirm = BooleanField(
        lazy(
            {
                "zh": "我已核对以上结果,确认结束表决(结束后不可撤销)",
                "en": "I have checked the results above and close the vote (it cannot be undone)",
            }
        ),
        validators=[
            validators.InputRequired(
                lazy({"zh": "请勾选确认后再结束表决", "en": "Tick to confirm before closing"})
            )
        ],
    )


class DecisionForm(VersionForm):
    """The chair's choice among the nominations tied at the last place."""

    nomination_ids = _Checkboxes(lazy({"zh": "入选", "en": "Selected"}), coerce=int)


# --- the list and opening --------------------------------------------------------------------


def _openable(user: User) -> list[dict[str, Any]]:
    """Return, per open campaign and award the user may open rounds for, its shortlist size."""
    rows = []
    for campaign in open_campaigns(db.session):
        if not can_open_round(user, campaign):
            continue
        for award in campaign.awards:
            count = len(selection.shortlist(db.session, campaign, award.kind))
            rows.append({"campaign": campaign, "kind": award.kind, "shortlisted": count})
    return rows


@bp.route("")
@login_required
def index() -> ResponseReturnValue:
    """List the rounds the user may see and, for the federation, the rounds it may open."""
    user = signed_in_user()
    return render_template(
        "selection/index.html",
        rounds=selection.visible_rounds(db.session, user),
        openable=_openable(user),
        status_labels=selection.STATUS_LABELS,
    )


def _open_choices(form: OpenRoundForm, campaign: Campaign, kind: str) -> dict[str, Any]:
    """Fill the form's choices; return the shortlist and the judges, as the template lists them."""
    shortlisted = selection.shortlist(db.session, campaign, kind)
    judges = selection.judges_of(db.session, campaign.federation)
    form.nomination_ids.choices = [(n.id, n.nominee_name) for n in shortlisted]
    form.judge_ids.choices = [(u.id, u.name) for u in judges]
    form.chair_id.choices = [("", tr("请选择", "Choose"))] + [(u.id, u.name) for u in judges]
    return {
        "shortlisted": [
            {
                "id": n.id,
                "name": n.nominee_name,
                "unit": org_name(n.unit),
                "category": pick(
                    selection.category_label(
                        db.session, campaign, kind, (n.data or {}).get("category")
                    )
                ),
            }
            for n in shortlisted
        ],
        "judges": [
            {"id": u.id, "name": u.name, "workplace": org_name(u.workplace)} for u in judges
        ],
    }


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    """Show the opening form (everything shortlisted ticked) and open the round."""
    user = signed_in_user()
    campaign_id = request.args.get("campaign_id", type=int)
    kind = request.args.get("kind", "")
    campaign = db.session.get(Campaign, campaign_id) if campaign_id else None
    if campaign is None or kind not in engine.award_kinds() or campaign.award(kind) is None:
        abort(404, tr("没有这个评选活动或奖项", "No such campaign or award"))
    if not can_open_round(user, campaign):
        abort(403, tr("只有区总工会可以组织评审", "Only the federation opens selection rounds"))
    if request.method == "GET":
        shortlisted = selection.shortlist(db.session, campaign, kind)
        # The campaign's selection committee, as the administrator named it, comes ticked.
        chair = next((j.user_id for j in campaign.judges if j.chair), None)
        form = OpenRoundForm(
            data={
                "nomination_ids": [n.id for n in shortlisted],
                "places": selection.default_places(db.session, campaign, kind, len(shortlisted)),
                "judge_ids": [j.user_id for j in campaign.judges if j.user.active],
                "chair_id": chair,
            }
        )
    else:
        form = OpenRoundForm()
    choices = _open_choices(form, campaign, kind)
    status, alerts = 200, []
    if form.validate_on_submit():
        with operation_errors(form) as outcome:
            round_ = selection.open_round(
                db.session,
                campaign,
                kind,
                user,
                judge_ids=form.judge_ids.data or [],
                chair_id=form.chair_id.data,
                places=form.places.data,
                nomination_ids=form.nomination_ids.data or [],
            )
        if outcome.refused:
            status, alerts = outcome.status, outcome.alerts
        else:
            flash(tr(f"第{round_.number}轮评审已开始", f"Round {round_.number} is open"), "success")
            return redirect(url_for(".view", round_id=round_.id))
    elif request.method == "POST":
        status = 422
    return (
        render_template(
            "selection/new.html",
            form=form,
            campaign=campaign,
            kind=kind,
            alerts=alerts,
            rule_labels=selection.RULE_LABELS,
            **choices,
        ),
        status,
    )


# --- the round -------------------------------------------------------------------------------


def _round_or_404(round_id: int) -> SelectionRound:
    return selection.load_round(db.session, round_id, signed_in_user())


def _recusal_form(view: dict[str, Any], form: RecusalForm | None = None) -> RecusalForm | None:
    """Return the recusal form with the nominations the judge does not yet stand aside on."""
    if not view["viewer"]["can_vote"]:
        return None
    form = form or RecusalForm(formdata=None)
    form.nomination_id.choices = [("", tr("请选择", "Choose"))] + [
        (e["nomination_id"], f"{e['name']}({e['unit']['name']})")
        for e in view["entries"]
        if not e["recused"]
    ]
    return form


def _tally_rows(view: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the tally's rows with each nomination's name and unit, and the judges' names."""
    tally = view["tally"]
    if not tally:
        return []
    entries = {e["nomination_id"]: e for e in view["entries"]}
    names = {m["id"]: m["name"] for m in tally["members"]}
    rows = []
    for row in tally["entries"]:
        entry = entries.get(row["nomination_id"], {})
        rows.append(
            {
                **row,
                "name": entry.get("name", ""),
                "unit": entry.get("unit", {}),
                "recused_names": [names.get(r["judge_id"], "") for r in row["recused"]],
            }
        )
    return rows


def _render_round(
    round_: SelectionRound,
    *,
    status: int = 200,
    alerts: Sequence[str] = (),
    recusal_form: RecusalForm | None = None,
    decision_form: DecisionForm | None = None,
    posted_votes: dict[int, str] | None = None,
) -> ResponseReturnValue:
    """Render the round as the user may see it; forms posted with errors are shown again."""
    user = signed_in_user()
    view = selection.round_view(db.session, round_, user)
    if decision_form is None and view["viewer"]["can_decide"]:
        decision_form = DecisionForm(formdata=None, version=round_.version)
    if decision_form is not None:
        tied = (view["tally"] or {}).get("tie") or {"nomination_ids": []}
        decision_form.nomination_ids.choices = [
            (e["nomination_id"], e["name"])
            for e in view["entries"]
            if e["nomination_id"] in tied["nomination_ids"]
        ]
    close_form = (
        VersionForm(formdata=None, version=round_.version) if view["viewer"]["can_close"] else None
    )
    votes = {e["nomination_id"]: e["my_vote"] for e in view["entries"]}
    if posted_votes is not None:
        votes.update(posted_votes)
    return (
        render_template(
            "selection/round.html",
            round=round_,
            view=view,
            votes=votes,
            vote_choices=VOTES,
            vote_labels=selection.VOTE_LABELS,
            result_labels=selection.RESULT_LABELS,
            status_labels=selection.STATUS_LABELS,
            rule_labels=selection.RULE_LABELS,
            tally_rows=_tally_rows(view),
            recusal_form=_recusal_form(view, recusal_form),
            close_form=close_form,
            decision_form=decision_form,
            alerts=alerts,
        ),
        status,
    )


@bp.route("/<int:round_id>")
@login_required
def view(round_id: int) -> ResponseReturnValue:
    """Show the round as the user may see it."""
    return _render_round(_round_or_404(round_id))


@bp.route("/<int:round_id>/votes", methods=["POST"])
@login_required
def vote(round_id: int) -> ResponseReturnValue:
    """Record the judge's votes: those chosen on the list that differ from what they cast."""
    user = signed_in_user()
    round_ = _round_or_404(round_id)
    if not can_vote(user, round_):
        abort(403, tr("只有本轮评审委员可以表决", "Only the judges of this round vote"))
    form = FlaskForm()  # the CSRF token; the votes are read from the list below
    if not form.validate_on_submit():
        return _render_round(
            round_,
            status=400,
            alerts=[tr("无法提交,请刷新页面后重试。", "Could not submit; reload the page.")],
        )
    posted: dict[int, str] = {}
    for entry in round_.entries:
        value = request.form.get(f"vote-{entry.nomination_id}", "")
        if value in VOTES:
            posted[entry.nomination_id] = value
    mine = selection.my_votes(db.session, round_, user)
    changed = {nid: value for nid, value in posted.items() if mine.get(nid) != value}
    with operation_errors(catch=(Conflict, PermissionDenied)) as outcome:
        for nomination_id, value in changed.items():
            selection.cast_vote(db.session, round_, user, nomination_id=nomination_id, vote=value)
    if outcome.refused:
        # Closed meanwhile, or the judge stood aside since the page was read: nothing of this
        # submission is kept, and the page says so beside the round as it is now.
        message = tr("您的表决未被记录:", "Your votes were not recorded: ") + (
            tr("本轮表决已结束。", "the round has closed.")
            if outcome.conflict
            else tr("您已回避其中的推荐对象。", "you stand aside on one of them.")
        )
        return _render_round(round_, status=409, alerts=[message], posted_votes=posted)
    if changed:
        flash(
            tr(f"已记录您的表决({len(changed)}项)", f"Your votes are recorded ({len(changed)})"),
            "success",
        )
    else:
        flash(tr("表决没有变化", "Your votes are unchanged"), "info")
    return redirect(url_for(".view", round_id=round_.id))


@bp.route("/<int:round_id>/recusals", methods=["POST"])
@login_required
def recuse(round_id: int) -> ResponseReturnValue:
    """Record that the judge stands aside on a nomination, with the reason."""
    user = signed_in_user()
    round_ = _round_or_404(round_id)
    if not can_vote(user, round_):
        abort(403, tr("只有本轮评审委员可以申请回避", "Only the judges of this round stand aside"))
    view_ = selection.round_view(db.session, round_, user)
    form = _recusal_form(view_, RecusalForm())
    if form is None:
        return _render_round(
            round_, status=409, alerts=[tr("本轮表决已结束。", "The round has closed.")]
        )
    if not form.validate_on_submit():
        return _render_round(round_, status=422, recusal_form=form)
    with operation_errors(form) as outcome:
        selection.recuse(
            db.session,
            round_,
            user,
            nomination_id=form.nomination_id.data,
            reason=form.reason.data,
        )
    if outcome.refused:
        return _render_round(
            round_, status=outcome.status, recusal_form=form, alerts=outcome.alerts
        )
    flash(tr("已记录您的回避", "Your recusal is recorded"), "success")
    return redirect(url_for(".view", round_id=round_.id))


def _render_close(round_: SelectionRound, form: CloseForm, status: int = 200) -> Any:
    """Render the confirmation page: what closing the round now would do."""
    with operation_errors(catch=(Conflict,)) as outcome:
        preview = selection.close_preview(db.session, round_, signed_in_user())
    if outcome.refused:
        flash(tr("本轮表决已结束。", "The round has closed."), "warning")
        return redirect(url_for(".view", round_id=round_.id))
    return (
        render_template(
            "selection/close.html",
            round=round_,
            preview=preview,
            form=form,
            result_labels=selection.RESULT_LABELS,
            rule_labels=selection.RULE_LABELS,
        ),
        status,
    )


@bp.route("/<int:round_id>/close", methods=["GET", "POST"])
@login_required
def close(round_id: int) -> ResponseReturnValue:
    """Say what closing will do (GET); close the vote and apply the results once confirmed."""
    user = signed_in_user()
    round_ = _round_or_404(round_id)
    if not can_close_round(user, round_):
        abort(403, tr("您不能结束本轮表决", "You do not close this round"))
    if request.method == "GET":
        return _render_close(round_, CloseForm(formdata=None, version=round_.version))
    form = CloseForm()
    if not form.validate_on_submit() or not form.confirm.data:
        if not form.confirm.errors:
            form.confirm.errors = [tr("请勾选确认后再结束表决", "Tick to confirm before closing")]
        return _render_close(round_, form, status=422)
    with operation_errors(catch=(Conflict,)) as outcome:
        selection.close_round(db.session, round_, user, version=form.version.data)
    if outcome.refused:
        alerts = [
            tr(
                "本轮已被他人结束或更改,请查看下方的最新情况。",
                "Someone else closed or changed this round; see it as it is now below.",
            )
        ]
        return _render_round(round_, status=409, alerts=alerts)
    if round_.status == "awaiting_chair":
        flash(
            tr(
                "表决已结束;末位票数相同,待主任委员决定。",
                "The vote is closed; a tie at the last place awaits the chair.",
            ),
            "warning",
        )
    else:
        flash(tr("表决已结束,结果已生效", "The vote is closed and its results applied"), "success")
    return redirect(url_for(".view", round_id=round_.id))


@bp.route("/<int:round_id>/decision", methods=["POST"])
@login_required
def decide(round_id: int) -> ResponseReturnValue:
    """Record the chair's decision of a tie at the last place."""
    user = signed_in_user()
    round_ = _round_or_404(round_id)
    if not can_decide_tie(user, round_):
        abort(403, tr("只有主任委员可以决定", "Only the chair decides"))
    form = DecisionForm()
    tied = ((round_.tally or {}).get("tie") or {}).get("nomination_ids", [])
    form.nomination_ids.choices = [(i, str(i)) for i in tied]
    if not form.validate_on_submit():
        return _render_round(round_, status=422, decision_form=form)
    with operation_errors(form) as outcome:
        selection.decide_tie(
            db.session,
            round_,
            user,
            nomination_ids=form.nomination_ids.data or [],
            version=form.version.data,
        )
    if outcome.invalid:
        return _render_round(
            round_, status=outcome.status, decision_form=form, alerts=outcome.alerts
        )
    if outcome.conflict:
        alerts = [tr("本轮已无待决定事项。", "This round awaits no decision now.")]
        return _render_round(round_, status=409, alerts=alerts)
    flash(tr("已记录主任委员的决定,结果已生效", "The chair's decision is applied"), "success")
    return redirect(url_for(".view", round_id=round_.id))


# --- printing --------------------------------------------------------------------------------


def _printed(round_: SelectionRound, pdf: bool = False) -> str:
    """Return the standalone tally page of a round that has closed."""
    view_ = selection.round_view(db.session, round_, signed_in_user())
    if view_["tally"] is None:
        abort(409, tr("表决尚未结束,没有计票结果", "The vote is still open: no tally yet"))
    return render_template(
        "selection/print.html",
        round=round_,
        view=view_,
        tally_rows=_tally_rows(view_),
        result_labels=selection.RESULT_LABELS,
        rule_labels=selection.RULE_LABELS,
        title=award_title(round_.campaign, round_.kind),
        federation=org_name(round_.campaign.federation),
        pdf=pdf,
    )


@bp.route("/<int:round_id>/print")
@login_required
def print_tally(round_id: int) -> ResponseReturnValue:
    """Show the tally for printing and signing."""
    return _printed(_round_or_404(round_id))


@bp.route("/<int:round_id>/tally.pdf")
@login_required
def tally_pdf(round_id: int) -> ResponseReturnValue:
    """Download the tally as a PDF."""
    round_ = _round_or_404(round_id)
    response = Response(render_pdf(_printed(round_, pdf=True)), mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="selection-round-{round_.id}-tally.pdf"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
