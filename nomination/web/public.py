"""Public pages, no login: the notice board (公示) and objections (异议).

URL table:

    /notices/                    nominations on notice, public fields only, where to object
    /notices/<id>/object         GET/POST the objection form → confirmation with a reference
    /notices/objections/received the confirmation (the reference is kept in the session)
    /notices/objections          GET/POST look up an objection's status by its reference

Personal data never goes into a URL: objections and references are sent in POST bodies.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from nomination import db, engine
from nomination.errors import InvalidData, NotFound
from nomination.formdefs import clean_data, form_class
from nomination.i18n import pick
from nomination.models import Nomination
from nomination.operations import file_objection, objection_status
from nomination.queries import load_on_notice, objection_form, on_notice, public_view
from nomination.web.forms import ObjectionLookupForm, attach_errors
from nomination.web.setup import tr

bp = Blueprint("public", __name__, url_prefix="/notices")

_NOT_ON_NOTICE = {"zh": "该推荐不在公示期内", "en": "This nomination is not on public notice"}

OBJECTION_STATUS = {
    "open": {"zh": "核查中", "en": "Under review"},
    "unfounded": {"zh": "经核查,异议不成立", "en": "Reviewed: unfounded"},
    "founded": {"zh": "经核查,异议成立", "en": "Reviewed: founded"},
}


def _notice_entry(nomination: Nomination) -> dict[str, Any]:
    """Return what the public may see of a nomination on notice, labelled for people."""
    view = public_view(nomination)
    form = engine.workflow_for(nomination).nominee_form
    return {
        "id": view["id"],
        "unit": view["unit"],
        "ends_at": view["notice_ends_at"],
        "fields": [
            (f.name, pick(f.label), f.display(view["fields"].get(f.name)))
            for f in form.public_fields
        ],
    }


@bp.route("/")
def notices() -> ResponseReturnValue:
    """List the nominations on public notice, grouped by campaign and award kind."""
    groups: dict[tuple[int, str], dict[str, Any]] = {}
    for nomination in on_notice(db.session):
        key = (nomination.campaign_id, nomination.kind)
        group = groups.setdefault(
            key, {"campaign": nomination.campaign, "kind": nomination.kind, "entries": []}
        )
        group["entries"].append(_notice_entry(nomination))
    return render_template("public/notices.html", groups=list(groups.values()))


@bp.route("/<int:nomination_id>/object", methods=["GET", "POST"])
def object_to(nomination_id: int) -> ResponseReturnValue:
    """Take an objection against a nomination on notice."""
    nomination = load_on_notice(db.session, nomination_id)
    defn = objection_form(nomination) if nomination is not None else None
    if defn is None:
        abort(404, pick(_NOT_ON_NOTICE))
    form = form_class(defn, strict=True, base=FlaskForm)()
    status, alerts = 200, []
    if form.validate_on_submit():
        try:
            objection = file_objection(nomination, data=clean_data(defn, form))
        except InvalidData as exc:
            status, alerts = 422, attach_errors(form, exc.fields)
        except NotFound:
            abort(404, pick(_NOT_ON_NOTICE))
        else:
            # Kept in the (signed) session cookie of the objector's browser, never in a URL.
            session["objection_reference"] = objection.reference
            return redirect(url_for(".objection_received"))
    elif form.is_submitted():
        status = 422
    return (
        render_template(
            "public/object.html",
            entry=_notice_entry(nomination),
            nomination=nomination,
            contact=nomination.campaign.objection_contact or {},
            form=form,
            alerts=alerts,
        ),
        status,
    )


@bp.route("/objections/received")
def objection_received() -> ResponseReturnValue:
    """Confirm an objection and show its reference number."""
    reference = session.get("objection_reference")
    if not reference:
        return redirect(url_for(".objections"))
    return render_template("public/received.html", reference=reference)


@bp.route("/objections", methods=["GET", "POST"])
def objections() -> ResponseReturnValue:
    """Look up the status of an objection by the reference its objector was given."""
    form = ObjectionLookupForm()
    result, status = None, 200
    if form.validate_on_submit():
        try:
            objection = objection_status(db.session, form.reference.data)
        except NotFound:
            status = 404
            form.reference.errors.append(
                tr("没有此编号的异议,请核对后重试", "No objection has this reference")
            )
        else:
            result = {
                "reference": objection.reference,
                "received_at": objection.received_at,
                "status": pick(OBJECTION_STATUS.get(objection.status, objection.status)),
                "concluded": objection.status != "open",
                "conclusion": objection.conclusion,
            }
    elif form.is_submitted():
        status = 422
    return render_template("public/objections.html", form=form, result=result), status
