"""The archive of honoured workers, units and teams (劳模档案): a scoped list of records."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from nomination import db
from nomination.permissions import can_view_archive
from nomination.queries import visible_honours

bp = Blueprint("archive", __name__, url_prefix="/archive")


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    """List the honours the user may see, optionally of one year."""
    user = current_user._get_current_object()
    if not can_view_archive(user):
        abort(403)
    year = request.args.get("year", type=int)
    records = db.session.scalars(visible_honours(user, year=year).limit(500)).all()
    return render_template("archive/index.html", records=records, year=year)
