"""Units and their users from an Excel sheet: template, export, dry run, import.

URL table (administrators only):

    /admin/import/              GET: upload a sheet; POST: the dry run, or (action=import,
                                after a dry run without errors) the import of the kept sheet
    /admin/import/template.xlsx the empty sheet
    /admin/import/export.xlsx   the units and their submitters, in the same layout

The dry run keeps the sheet on the server by its SHA-256 (as the nominations' import does);
the import reads those kept bytes again, so the user never chooses the file twice.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField

from nomination import db
from nomination.administration.sheets import COLUMNS, export, read, run, template
from nomination.i18n import lazy
from nomination.nominations.imports import SheetRejected, discard_sheet, keep_sheet, kept_sheet
from nomination.web.admin_organisations import require_admin_page
from nomination.web.setup import tr

bp = Blueprint("admin_sheets", __name__, url_prefix="/admin/import")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class SheetForm(FlaskForm):
    """The sheet to check."""

    sheet = FileField(lazy({"zh": "Excel 文件(.xlsx)", "en": "Excel file (.xlsx)"}))


def _download(data: bytes, name: str) -> Response:
    return Response(
        data,
        mimetype=XLSX,
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )


@bp.route("/template.xlsx")
@login_required
def download_template() -> ResponseReturnValue:
    """Download the empty sheet."""
    require_admin_page()
    return _download(template(), "units-and-users-template.xlsx")


@bp.route("/export.xlsx")
@login_required
def download_export() -> ResponseReturnValue:
    """Download the federation's units and their submitters."""
    root = require_admin_page()
    return _download(export(db.session, root), "units-and-users.xlsx")


@bp.route("/", methods=["GET", "POST"])
@login_required
def index() -> ResponseReturnValue:
    """Upload a sheet for its dry run; import it once the dry run found no error."""
    root = require_admin_page()
    form = SheetForm()
    if request.method == "GET":
        return render_template("administration/import.html", form=form, rows=None)
    importing = request.form.get("action") == "import"
    if importing:
        sha256 = request.form.get("sheet_sha256", "")
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            abort(400)
        try:
            data = kept_sheet(sha256)
        except FileNotFoundError:
            form.sheet.errors = [
                tr("文件已过期,请重新上传", "The file has expired; upload it again")
            ]
            return render_template("administration/import.html", form=form, rows=None), 409
    else:
        upload = request.files.get("sheet")
        data = upload.read() if upload else b""
    try:
        rows = read(data)
    except SheetRejected as exc:
        form.sheet.errors = [exc.message]
        return render_template("administration/import.html", form=form, rows=None), 422
    sha256 = keep_sheet(data)
    accepted = run(db.session, actor=current_user, root=root, rows=rows, commit=importing)
    if importing and accepted:
        discard_sheet(sha256)
    status = 200 if accepted else 422
    return (
        render_template(
            "administration/import.html",
            form=form,
            rows=rows,
            accepted=accepted,
            imported=importing and accepted,
            sha256=sha256,
            columns=COLUMNS,
        ),
        status,
    )
