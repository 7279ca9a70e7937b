"""Public pages, no login: the notice board (公示), its archive and feed, and objections.

URL table:

    /notices/                                   entries on notice now, public fields only
    /notices/<campaign>/<kind>/print            the notice as it would be posted (print style)
    /notices/<campaign>/<kind>/notice.pdf       the same as a PDF, downloaded
    /notices/archive                            closed notices, per campaign and award kind
    /notices/archive/<campaign>/<kind>          one campaign's closed notices of a kind
    /notices/archive/<campaign>/<kind>/print    … as posted, and as a PDF (notice.pdf)
    /notices/feed.atom                          Atom feed: one entry per notice posted
    /notices/<id>/object                        GET/POST the objection form (with files) → the
                                                confirmation; after the notice, a late objection
    /notices/objections/received                the confirmation (the reference is in the session)
    /notices/objections                         GET/POST look up an objection by its reference

Everything on the board, the print version, the PDF, the feed and the archive is rendered from
the entries stored when each nominee was published (``nomination.notices.publication``), never
from the
nominations' current data. Personal data never goes into a URL: objections and references are
sent in POST bodies.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from xml.etree import ElementTree

from flask import (
    Blueprint,
    Response,
    abort,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import format_date, format_time
from markupsafe import escape

from nomination import db, engine
from nomination.calendar.presenters import provisional_note
from nomination.definitions.forms import clean_data, form_class
from nomination.errors import InvalidData, NotFound
from nomination.i18n import current_language, pick
from nomination.models import NoticeEntry
from nomination.nominations import queries
from nomination.notices import publication as notices
from nomination.objections.operations import (
    AlreadyFiled,
    objection_form_def,
    objection_is_late,
    objection_status,
)
from nomination.objections.receipts import plain_receipt
from nomination.uploads import StoredFile
from nomination.web import objection_form
from nomination.web.auth import client_key
from nomination.web.forms import ObjectionLookupForm, add_error
from nomination.web.outcomes import operation_errors
from nomination.web.setup import campaign_name, tr

bp = Blueprint("public", __name__, url_prefix="/notices")

_NOT_ON_NOTICE = {"zh": "该推荐不在公示期内", "en": "This nomination is not on public notice"}
_NO_NOTICE = {"zh": "没有这样的公示", "en": "There is no such notice"}

#: How long a cached copy may be used: the current notice changes when a nominee is published
#: or leaves it; a closed notice never changes.
CURRENT_MAX_AGE = 300
ARCHIVE_MAX_AGE = 86400

ATOM = "http://www.w3.org/2005/Atom"
ElementTree.register_namespace("", ATOM)

OBJECTION_STATUS = {
    "open": {"zh": "核查中", "en": "Under review"},
    "unfounded": {"zh": "经核查,异议不成立", "en": "Reviewed: unfounded"},
    "founded": {"zh": "经核查,异议成立", "en": "Reviewed: founded"},
    "closed": {
        "zh": "推荐单位逾期未报核实情况,已视为放弃推荐",
        "en": "Closed: the nominating unit did not answer in time and the nomination lapsed",
    },
}


# --- presenting entries --------------------------------------------------------------------


def _local_date(moment: datetime) -> date:
    return moment.astimezone(notices.timezone()).date()


def _date_text(moment: datetime | date) -> str:
    """Return e.g. "2026年11月18日": a date, or a timestamp's day in the configured time zone."""
    day = _local_date(moment) if isinstance(moment, datetime) else moment
    return format_date(day, "long")


def _end_text(moment: datetime | None) -> str:
    """Return e.g. "2026年11月24日 17:00" in the configured time zone."""
    if moment is None:
        return ""
    return f"{_date_text(moment)} {format_time(moment.astimezone(UTC), 'HH:mm')}"


def _digest(data: dict[str, Any], files: list[tuple[StoredFile, str]]) -> str:
    """Return a digest of what an objection form carried: a repeat is told from a change."""
    content = repr(sorted((k, str(v)) for k, v in data.items())) + repr(
        sorted(f"{stored.sha256}:{purpose}" for stored, purpose in files)
    )
    return hashlib.sha256(content.encode()).hexdigest()


def _entry_view(entry: NoticeEntry) -> dict[str, Any]:
    """Return what a page shows of an entry, as it was published, in the current language."""
    fields = notices.shown_fields(entry)
    return {
        "id": entry.nomination_id,
        "sequence": entry.sequence,
        "unit": entry.unit_name,
        "published_at": entry.published_at,
        "ends_at": entry.ends_at,
        "period": tr("{0} 至 {1}", "{0} to {1}").format(
            _date_text(entry.published_at), _end_text(entry.ends_at)
        ),
        "provisional": entry.ends_provisional,
        "closed": entry.closed_at is not None,
        "fields": fields,
        "shown": {name: value for name, _label, value in fields},
    }


def _period_view(period: notices.Period, anchor: str) -> dict[str, Any]:
    return {
        "anchor": anchor,
        "published_on": _date_text(period.published_on),
        "ends_at": _end_text(period.ends_at),
        "ends_moment": period.ends_at,
        "provisional": period.provisional,
        "closed": period.closed,
        "columns": period.columns(),
        "entries": [_entry_view(e) for e in period.entries],
        "contact": period.contact,
        "issuer": period.issuer,
    }


def _notice_view(notice: notices.Notice) -> dict[str, Any]:
    periods: list[dict[str, Any]] = []
    anchors: set[str] = set()
    for period in notice.periods():
        # One anchor per day of publication; a second period published that day (after the
        # closing hour, so ending later) gets a suffix.
        anchor = base = f"period-{period.published_on.isoformat()}"
        while anchor in anchors:
            anchor = f"{base}-{len(anchors)}"
        anchors.add(anchor)
        periods.append(_period_view(period, anchor))
    return {
        "campaign": notice.campaign,
        "kind": notice.kind,
        "anchor": f"notice-{notice.campaign.id}-{notice.kind}",
        "title": pick(notice.award_title),
        "issuer": notice.issuer,
        "contact": notice.contact,
        "entries": [_entry_view(e) for e in notice.entries],
        "periods": periods,
    }


def _one_notice(entries: list[NoticeEntry]) -> notices.Notice:
    found = queries.grouped(db.session, entries)
    if not found:
        abort(404, pick(_NO_NOTICE))
    return found[0]


def _check_kind(kind: str) -> None:
    if kind not in engine.award_kinds():
        abort(404, pick(_NO_NOTICE))


# --- the board -----------------------------------------------------------------------------


@bp.route("/", endpoint="notices")
def board() -> ResponseReturnValue:
    """List the entries on public notice, per campaign and award kind, in each one's order."""
    groups = [
        _notice_view(n) for n in queries.grouped(db.session, queries.notice_board(db.session))
    ]
    return render_template("public/notices.html", groups=groups)


def _etag(entries: list[NoticeEntry], *parts: str) -> str:
    digest = hashlib.sha256()
    # What each entry published, whatever its id: the same content gives the same tag.
    for e in entries:
        digest.update(f"{notices.digest(e)}:{e.closed_at};".encode())
    for part in parts:
        digest.update(part.encode())
    return digest.hexdigest()[:32]


def _print_page(notice: notices.Notice, *, archived: bool) -> str:
    return render_template(
        "public/print.html",
        notice=_notice_view(notice),
        archived=archived,
        heading=tr("{0}拟表彰对象公示", "Public notice: proposed recipients of the {0}").format(
            pick(notice.award_title)
        ),
    )


#: The last PDFs made, by ETag: making one takes about a second, and anyone may ask for it.
_PDFS: OrderedDict[str, bytes] = OrderedDict()
_PDFS_KEPT = 16


def _pdf(etag: str, render: Callable[[], str]) -> bytes:
    """Return the PDF of the page ``render`` returns, made again only when it changed."""
    if etag in _PDFS:
        _PDFS.move_to_end(etag)
        return _PDFS[etag]
    # Imported when a PDF is asked for: loading WeasyPrint and its fonts takes a moment.
    from weasyprint import HTML

    pdf = HTML(string=render()).write_pdf()
    _PDFS[etag] = pdf
    while len(_PDFS) > _PDFS_KEPT:
        _PDFS.popitem(last=False)
    return pdf


def _printed(entries: list[NoticeEntry], *, archived: bool, pdf: bool) -> ResponseReturnValue:
    notice = _one_notice(entries)
    max_age = ARCHIVE_MAX_AGE if archived else CURRENT_MAX_AGE
    etag = _etag(
        notice.entries,
        current_language(),
        "pdf" if pdf else "html",
        "archive" if archived else "current",
        # The heading names the campaign, which is not part of the entries.
        notice.campaign.name,
        notice.campaign.name_en or "",
    )
    if etag in request.if_none_match:
        response = Response(status=304)
    elif pdf:
        response = send_file(
            io.BytesIO(_pdf(etag, lambda: _print_page(notice, archived=archived))),
            mimetype="application/pdf",
            as_attachment=True,
            download_name=(
                f"notice-{notice.campaign.year}-{notice.campaign.id}-{notice.kind}"
                f"{'-archive' if archived else ''}.pdf"
            ),
            conditional=False,
            etag=False,
        )
    else:
        response = Response(_print_page(notice, archived=archived), mimetype="text/html")
    response.set_etag(etag)
    response.cache_control.no_cache = None
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    # The language follows the visitor's choice: a shared cache must not mix them up.
    response.vary.update(("Cookie", "Accept-Language"))
    return response


@bp.route("/<int:campaign_id>/<kind>/print")
def print_notice(campaign_id: int, kind: str) -> ResponseReturnValue:
    """Show the notice of a campaign and award kind as it would be posted, for printing."""
    _check_kind(kind)
    entries = queries.notice_board(db.session, campaign_id=campaign_id, kind=kind)
    return _printed(entries, archived=False, pdf=False)


@bp.route("/<int:campaign_id>/<kind>/notice.pdf")
def notice_pdf(campaign_id: int, kind: str) -> ResponseReturnValue:
    """Download the notice of a campaign and award kind as a PDF."""
    _check_kind(kind)
    entries = queries.notice_board(db.session, campaign_id=campaign_id, kind=kind)
    return _printed(entries, archived=False, pdf=True)


# --- the archive ---------------------------------------------------------------------------


@bp.route("/archive")
def archive() -> ResponseReturnValue:
    """List the closed notices, per campaign and award kind."""
    index = queries.archived_notice_index(db.session)
    return render_template("public/archive.html", index=index)


@bp.route("/archive/<int:campaign_id>/<kind>")
def archived_notice(campaign_id: int, kind: str) -> ResponseReturnValue:
    """Show a campaign's closed notices of one award kind, exactly as they were published."""
    _check_kind(kind)
    entries = queries.notice_archive(db.session, campaign_id=campaign_id, kind=kind)
    notice = _one_notice(entries)
    return render_template("public/archived_notice.html", notice=_notice_view(notice))


@bp.route("/archive/<int:campaign_id>/<kind>/print")
def print_archived_notice(campaign_id: int, kind: str) -> ResponseReturnValue:
    """Show a closed notice as it was posted, for printing."""
    _check_kind(kind)
    entries = queries.notice_archive(db.session, campaign_id=campaign_id, kind=kind)
    return _printed(entries, archived=True, pdf=False)


@bp.route("/archive/<int:campaign_id>/<kind>/notice.pdf")
def archived_notice_pdf(campaign_id: int, kind: str) -> ResponseReturnValue:
    """Download a closed notice as a PDF."""
    _check_kind(kind)
    entries = queries.notice_archive(db.session, campaign_id=campaign_id, kind=kind)
    return _printed(entries, archived=True, pdf=True)


# --- the feed ------------------------------------------------------------------------------

#: At most this many posted notices (campaign, award kind and day) are in the feed.
FEED_SIZE = 50


def _atom_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _sub(parent: ElementTree.Element, tag: str, text: str | None = None, **attrs: str) -> Any:
    element = ElementTree.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def _feed_groups(entries: list[NoticeEntry]) -> list[list[NoticeEntry]]:
    """Group entries as they were posted: per campaign, award kind and day of publication."""
    groups: dict[tuple[int, str, date], list[NoticeEntry]] = {}
    for entry in entries:
        key = (entry.campaign_id, entry.kind, _local_date(entry.published_at))
        groups.setdefault(key, []).append(entry)
    newest_first = sorted(
        groups.values(), key=lambda g: max(e.published_at for e in g), reverse=True
    )
    return [notices.sort_entries(g) for g in newest_first[:FEED_SIZE]]


def _feed_entry(feed: ElementTree.Element, entries: list[NoticeEntry], campaign: Any) -> None:
    first = entries[0]
    day = _local_date(min(e.published_at for e in entries))
    updated = max(e.changed_at for e in entries)
    kind_anchor = f"notice-{campaign.id}-{first.kind}"
    if all(e.closed_at is not None for e in entries):
        link = url_for(".archived_notice", campaign_id=campaign.id, kind=first.kind, _external=True)
        link += f"#period-{day.isoformat()}"
    else:
        link = url_for(".notices", _external=True) + f"#{kind_anchor}"
    title = tr("{0} · {1}拟表彰对象公示({2})", "{0} · {1}: public notice ({2})").format(
        campaign_name(campaign), pick(first.award_title), _date_text(day)
    )
    item = _sub(feed, "entry")
    # Stable whatever host serves the feed: the publisher, campaign, award kind and day.
    name = f"{first.issuer}/{campaign.id}/{first.kind}/{day.isoformat()}"
    _sub(item, "id", uuid.uuid5(uuid.NAMESPACE_URL, f"nomination:notice:{name}").urn)
    _sub(item, "title", title)
    _sub(item, "published", _atom_time(min(e.published_at for e in entries)))
    _sub(item, "updated", _atom_time(updated))
    _sub(item, "link", rel="alternate", type="text/html", href=link)
    author = _sub(item, "author")
    _sub(author, "name", first.issuer)
    lines = []
    for entry in entries:
        shown = ",".join(value for _, _, value in notices.shown_fields(entry) if value)
        lines.append(
            f"<li>{escape(entry.nominee_name)}({escape(entry.unit_name)})"
            f"<br><small>{escape(shown)}</small></li>"
        )
    ends = max((e.ends_at for e in entries if e.ends_at), default=None)
    period = tr("公示期:{0} 至 {1}", "Notice period: {0} to {1}").format(
        _date_text(day), _end_text(ends)
    )
    if any(e.ends_provisional for e in entries):
        closed = all(e.closed_at is not None for e in entries)
        period += f"({tr('暂定', 'provisional')}:{provisional_note(ends, closed=closed)})"
    _sub(item, "content", f"<p>{escape(period)}</p><ul>{''.join(lines)}</ul>", type="html")


@bp.route("/feed.atom")
def feed() -> ResponseReturnValue:
    """Return an Atom feed of the notices posted: public fields only."""
    groups = _feed_groups(queries.recent_notice_entries(db.session))
    campaigns = queries.campaigns_by_id(db.session, {g[0].campaign_id for g in groups})
    root = ElementTree.Element(f"{{{ATOM}}}feed")
    root.set(
        "{http://www.w3.org/XML/1998/namespace}lang",
        "zh-CN" if current_language() == "zh" else "en",
    )
    _sub(root, "id", url_for(".feed", _external=True))
    _sub(root, "title", tr("评选表彰对象公示", "Public notices of nominees"))
    _sub(
        root, "link", rel="self", type="application/atom+xml", href=url_for(".feed", _external=True)
    )
    _sub(root, "link", rel="alternate", type="text/html", href=url_for(".notices", _external=True))
    newest = max((e.changed_at for g in groups for e in g), default=None)
    _sub(root, "updated", _atom_time(newest or datetime(2000, 1, 1, tzinfo=UTC)))
    if groups:
        author = _sub(root, "author")
        _sub(author, "name", groups[0][0].issuer)
    for entries in groups:
        _feed_entry(root, entries, campaigns[entries[0].campaign_id])
    body = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    response = Response(body, mimetype="application/atom+xml")
    response.cache_control.public = True
    response.cache_control.max_age = CURRENT_MAX_AGE
    response.vary.update(("Cookie", "Accept-Language"))
    return response


# --- objections ----------------------------------------------------------------------------


@bp.route("/<int:nomination_id>/object", methods=["GET", "POST"])
def object_to(nomination_id: int) -> ResponseReturnValue:
    """Take an objection against a nomination on notice (or once on notice: then late)."""
    found = queries.load_objectable(db.session, nomination_id)
    defn = objection_form_def(found[0]) if found is not None else None
    if found is None or defn is None:
        abort(404, pick(_NOT_ON_NOTICE))
    nomination, entry = found
    form = form_class(defn, strict=True, base=objection_form.ObjectionForm)()
    files: list[tuple[StoredFile, str]] = []
    status, alerts = 200, []
    if form.is_submitted():
        status = 422
        sender = objection_form.check_sender(form)
        if objection_form.rate_limited() or sender.robot:
            # Nothing of it is stored, and the file fields say so: the sender chooses the
            # files again (the files kept from before stay kept).
            if sender.robot:
                alerts = [sender.problem or ""]
            else:
                status, alerts = 429, [objection_form.limited_message()]
            files, _ = objection_form.kept_files(form, sender.nonce)
            objection_form.not_received(form)
        else:
            # Validate first: it resets every field's errors, the files' included. Then every
            # problem is shown at once, the abuse checks' beside the fields' own.
            valid = form.validate()
            files, kept_ok = objection_form.kept_files(form, sender.nonce)
            files, files_ok = objection_form.receive_files(form, files)
            files_ok = files_ok and kept_ok
            if sender.problem:  # too fast, or expired: a person, who loses nothing
                alerts = [sender.problem]
                objection_form.file_errors(form, objection_form.missing_files(form, files))
            elif valid and files_ok:
                reference = objection_form.reference_for(sender.nonce) if sender.nonce else None
                data = clean_data(defn, form)
                digest = _digest(data, files)
                with operation_errors(form, catch=(InvalidData, NotFound, AlreadyFiled)) as outcome:
                    objection = objection_form.file_with_retry(
                        nomination.id,
                        data=data,
                        files=files,
                        client=client_key(request.remote_addr),
                        reference=reference,
                    )
                if isinstance(outcome.error, AlreadyFiled):
                    if (
                        session.get("objection_reference") == reference
                        and session.get("objection_digest") == digest
                    ):
                        # This browser sent the same (a double click): its receipt, not a
                        # refusal. Changed content is refused below, its text kept.
                        return redirect(url_for(".objection_received"))
                    status, alerts = 409, [objection_form.repeated_message()]
                elif outcome.invalid:
                    alerts = outcome.alerts
                    objection_form.file_errors(form, outcome.fields)
                elif outcome.refused:  # no longer open to objections
                    abort(404, pick(_NOT_ON_NOTICE))
                else:
                    # Kept in the (signed) session cookie of the objector's browser, never in
                    # a URL.
                    session["objection_reference"] = objection.reference
                    session["objection_digest"] = digest
                    session["objection_late"] = objection.late
                    return redirect(url_for(".objection_received"))
    objection_form.keep(form, files, objection_form.issue(form))
    return (
        render_template(
            "public/object.html",
            entry=_entry_view(entry),
            nomination=nomination,
            contact=entry.objection_contact or {},
            form=form,
            fields=[form[f.name] for f in defn.fields],
            kept=objection_form.described(files),
            late=objection_is_late(nomination),
            alerts=alerts,
        ),
        status,
    )


@bp.route("/objections/received")
def objection_received() -> ResponseReturnValue:
    """Confirm an objection in plain words: what, when, its reference and what comes next."""
    reference = session.get("objection_reference")
    if not reference:
        return redirect(url_for(".objections"))
    with operation_errors(catch=(NotFound,)) as outcome:
        objection = objection_status(db.session, reference)
    plain = None if outcome.refused else plain_receipt(db.session, objection)
    return render_template(
        "public/received.html",
        reference=reference,
        late=session.get("objection_late", False),
        plain=plain,
        received_on=_date_text(plain.received_on) if plain else "",
        award=pick(plain.award) if plain and plain.award else "",
    )


@bp.route("/objections", methods=["GET", "POST"])
def objections() -> ResponseReturnValue:
    """Look up the status of an objection by the reference its objector was given."""
    form = ObjectionLookupForm()
    result, status = None, 200
    if form.validate_on_submit():
        with operation_errors(catch=(NotFound,)) as outcome:
            objection = objection_status(db.session, form.reference.data or "")
        if outcome.refused:
            status = 404
            add_error(
                form.reference,
                tr("没有此编号的异议,请核对后重试", "No objection has this reference"),
            )
        else:
            plain = plain_receipt(db.session, objection)
            result = {
                "reference": objection.reference,
                "about": tr("{0}拟表彰对象{1}({2})", "{1} ({2}), proposed for the {0}").format(
                    pick(plain.award) if plain.award else "", plain.nominee, plain.unit
                ),
                "received_at": objection.received_at,
                "status": pick(OBJECTION_STATUS.get(objection.status, objection.status)),
                "concluded": objection.status != "open",
                "conclusion": objection.conclusion,
            }
    elif form.is_submitted():
        status = 422
    return render_template("public/objections.html", form=form, result=result), status
