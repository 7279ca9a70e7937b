"""The printable recommendation and approval form (推荐审批表) of a nomination, as a PDF.

URL table:

    /nominations/<id>/form.pdf    the form with the opinions given so far, downloaded

Whoever may see the nomination may print its form (auditors too); another unit's nomination
answers 404 like a missing one. The form is the official one, so it carries the nominee's
resident ID number and phone: it is sent only as an attachment that no cache may keep, and no
personal data goes into the URL (the nomination's number only) or the logs.

A PDF is made for each request (about 0.3 s), not cached: it is asked for rarely (when a level
prints the form to sign and seal it), a cache keyed by (nomination, version, language) would
still miss the renaming of a unit or a campaign, and keeping ID numbers in the process's memory
after the request would only widen where personal data lives.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, render_template
from flask.typing import ResponseReturnValue
from flask_login import login_required

from nomination import db
from nomination.nominations.printform import printed_form, render_pdf
from nomination.nominations.queries import load_nomination
from nomination.permissions import can_see_personal_data
from nomination.web.setup import signed_in_user

bp = Blueprint("printform", __name__)


@bp.route("/nominations/<int:nomination_id>/form.pdf")
@login_required
def form_pdf(nomination_id: int) -> ResponseReturnValue:
    """Download the nomination's recommendation and approval form as a PDF, for signatures."""
    user = signed_in_user()
    nomination = load_nomination(db.session, nomination_id, user)
    form = printed_form(
        db.session, nomination, personal_in_clear=can_see_personal_data(user, nomination)
    )
    pdf = render_pdf(render_template("nominations/form_print.html", form=form))
    response = Response(pdf, mimetype="application/pdf")
    # The ASCII name, for clients that ignore filename*, carries the number only.
    response.headers["Content-Disposition"] = (
        f'attachment; filename="nomination-{nomination.id}-form.pdf"; '
        f"filename*=UTF-8''{quote(form.filename, safe='')}"
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
