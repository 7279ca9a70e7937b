"""The composition panel of a campaign: shares by category against its targets.

URL table:

    /campaigns/<id>/composition    the federation's panel and one per working committee
                                   (federation reviewers, approvers, auditors); a committee's
                                   own panel for its reviewers
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import select

from nomination import db
from nomination.models import Campaign, Organisation
from nomination.nominations import composition
from nomination.permissions import composition_scopes
from nomination.web.setup import org_name, tr

bp = Blueprint("composition", __name__)


@bp.route("/campaigns/<int:campaign_id>/composition")
@login_required
def panel(campaign_id: int) -> ResponseReturnValue:
    """Show the composition of the campaign's nominations the user may see."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    federation = campaign.federation
    scopes = composition_scopes(current_user, federation)
    if not scopes:
        abort(403, tr("您不能查看结构比例", "You may not see the composition"))
    committees = db.session.scalars(
        select(Organisation)
        .where(Organisation.kind == "committee", Organisation.path.startswith(federation.path))
        .order_by(Organisation.path)
    ).all()
    if scopes != "all":
        committees = [c for c in committees if any(c.path.startswith(p) for p in scopes)]
    panels = []
    if scopes == "all":
        everyone = composition.counted(db.session, campaign)
        panels.append(composition.measure(campaign, everyone, org_name(federation)))
    for committee in committees:
        rows = composition.counted(db.session, campaign, committee)
        panels.append(composition.measure(campaign, rows, org_name(committee)))
    return render_template("campaigns/composition.html", campaign=campaign, panels=panels)
