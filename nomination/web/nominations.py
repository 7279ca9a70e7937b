"""Nomination pages for logged-in users (to be completed)."""

from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("nominations", __name__)


@bp.route("/")
@login_required
def dashboard() -> str:
    """Show the user's dashboard."""
    return render_template("nominations/dashboard.html")
