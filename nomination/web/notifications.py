"""The user's notifications: the list, following one (which marks it read), marking all read.

URL table (each view is load → check → act → respond):

    /notifications/                       the user's notifications, newest first
    /notifications/<id>/follow            POST: mark read, then go to its item
    /notifications/read-all               POST: mark every one read
    /notifications/settings               how mail comes: each notification, or a daily digest

Every page also gets ``unread_notifications``, the navigation bar's badge.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import RadioField, validators
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]

from nomination import db
from nomination.i18n import lazy_tr
from nomination.notifications import (
    is_internal_path,
    load_notification,
    mark_all_read,
    mark_read,
    notifications_of,
    set_mail_delivery,
    unread_count,
)
from nomination.web.setup import signed_in_user, tr

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

#: Rows per page of the list.
PAGE_SIZE = 50

#: How each kind is named on the page.
KIND_LABELS = {
    "queue": {"zh": "待办", "en": "To do"},
    "returned": {"zh": "退回", "en": "Returned"},
    "due_soon": {"zh": "即将到期", "en": "Due soon"},
    "overdue": {"zh": "已逾期", "en": "Overdue"},
    "result": {"zh": "结果", "en": "Outcome"},
}


@bp.app_context_processor
def _unread_badge() -> dict[str, Any]:
    """Give every page the logged-in user's unread count (0 for everyone else)."""
    user = current_user if has_request_context() else None
    if not (user and user.is_authenticated):
        return {"unread_notifications": 0}
    return {"unread_notifications": unread_count(db.session, signed_in_user())}


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    """List the user's notifications, newest first, a page at a time."""
    user = signed_in_user()
    page = max(request.args.get("page", 1, type=int), 1)
    query = notifications_of(user)
    total = db.session.execute(
        select(func.count()).select_from(query.order_by(None).subquery())
    ).scalar_one()
    rows = db.session.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template(
        "notifications/index.html",
        rows=rows,
        page=page,
        more=page * PAGE_SIZE < total,
        total=total,
        kinds=KIND_LABELS,
    )


@bp.post("/<int:notification_id>/follow")
@login_required
def follow(notification_id: int) -> ResponseReturnValue:
    """Mark a notification read and go to its item (only ever a page of this application)."""
    notification = load_notification(db.session, notification_id, signed_in_user())
    if not is_internal_path(notification.url):
        abort(400, tr("此通知的链接无效。", "This notification's link is not valid."))
    mark_read(notification)
    # Stored paths are the application's own; add the prefix it may be mounted under.
    return redirect(request.script_root + notification.url)


@bp.post("/read-all")
@login_required
def read_all() -> ResponseReturnValue:
    """Mark all of the user's notifications read."""
    count = mark_all_read(db.session, signed_in_user())
    if count:
        flash(
            tr(f"已将 {count} 条通知标为已读。", f"{count} notification(s) marked read."), "success"
        )
    return redirect(url_for(".index"))


class DeliveryForm(FlaskForm):
    """How the user's notifications come by mail."""

    delivery = RadioField(
        lazy_tr("邮件提醒方式", "Mail"),
        choices=[
            SelectChoice("immediate", lazy_tr("每条通知即时发送", "One mail per notification")),
            SelectChoice("daily", lazy_tr("每日一封摘要", "One digest a day")),
        ],
        validators=[validators.InputRequired(message=lazy_tr("请选择", "Choose one"))],
    )


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings() -> ResponseReturnValue:
    """Let the user choose a mail per notification or one daily digest."""
    user = signed_in_user()
    form = DeliveryForm(data={"delivery": user.mail_delivery})
    if form.validate_on_submit():
        if set_mail_delivery(user, form.delivery.data or "", actor=user):
            flash(tr("邮件提醒方式已保存。", "Your mail setting is saved."), "success")
        return redirect(url_for(".settings"))
    return render_template("notifications/settings.html", form=form, has_email=bool(user.email)), (
        422 if form.errors else 200
    )
