"""Batch import of nominations from an Excel sheet laid out like the nominee form.

A nominating unit downloads the template of an award (:func:`template`), fills in one nominee
per row, and uploads it. :func:`read` checks the file by its content, reads every row and
validates it with the form definition's own validation (the web form's and the API's), plus
duplicates within the sheet; :func:`check_existing` adds the unit's own nominations already in
the campaign. Nothing is created until :func:`commit`: all rows, or only the valid ones when
the user accepted that, through ``create_nomination`` in the caller's transaction.

The uploaded bytes are kept between the dry run and the commit by their SHA-256
(:func:`keep_sheet`, :func:`kept_sheet`), outside any web root, for at most
:data:`KEEP_SECONDS`, and deleted once imported (:func:`discard_sheet`): a sheet holds ID
numbers and phones, which must not outlive their purpose.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select
from sqlalchemy.orm import Session

from nomination import engine
from nomination.audit.chain import Entity, record_event
from nomination.definitions.forms import FieldDef, FormDef, validate
from nomination.errors import PermissionDenied
from nomination.i18n import pick
from nomination.models import Campaign, Nomination, Organisation
from nomination.nominations.operations import create_nomination
from nomination.permissions import can_create_nomination
from nomination.spreadsheets import (
    KEEP_SECONDS,
    LIST_SHEET,
    MESSAGES,
    XLSX_TYPE,
    KeptFiles,
    Messages,
    SheetRejected,
    SheetRow,
    Template,
    cell_text,
    check_unique,
    check_workbook,
    guarded,
    heading_key,
    listed,
    lost_digits,
    match_choice,
    match_headings,
    nfkc,
    not_a_choice,
    open_sheet,
    plain,
    read_date,
    split_valid,
)

#: At most this many nominees in one sheet; more is refused with a message saying so.
MAX_ROWS = 500
#: Rows read at most, empty ones included (a sheet formatted far down has many empty rows).
MAX_SCANNED_ROWS = 100_000
#: Columns read beyond the headings, to find data typed where no heading is.
EXTRA_COLUMNS = 100
#: The data sheet's name in each language; a workbook without one is read from its first sheet.
DATA_SHEET = {"zh": "推荐名单", "en": "Nominations"}
#: The instructions sheet's name in each language.
HELP_SHEET = {"zh": "说明", "en": "Instructions"}
#: Row 1 holds the labels, hidden row 2 the field names; nominees start on row 3.
LABEL_ROW, NAME_ROW, FIRST_ROW = 1, 2, 3
#: The columns of a repeatable "rows" field whose definition names none (prior honours).
DEFAULT_ROW_COLUMNS = (
    FieldDef(name="title", type="text", label={"zh": "荣誉称号", "en": "Title"}),
    FieldDef(name="grantor", type="text", label={"zh": "授予单位", "en": "Conferred by"}),
    FieldDef(name="year", type="integer", label={"zh": "年份", "en": "Year"}),
)
#: Words a yes/no cell may hold (compared after NFKC and case folding).
_YES = {"是", "y", "yes", "true", "1", "√", "✓", "有"}
_NO = {"否", "n", "no", "false", "0", "×", "✗", "无"}
_INTEGER = re.compile(r"[+-]?\d+")
#: The parts of the identifying field's value that do not count when comparing two rows.
_KEY_NOISE = re.compile(r"[\s\-]")
#: Sheets kept between their dry run and their commit: ``imports`` in the upload folder.
_KEPT = KeptFiles("imports")

#: code → (Chinese, English); the braces are filled in with str.format. The messages of
#: reading a workbook (empty, damaged, macros, ...) are the shared ones.
_MESSAGES = Messages(
    {
        "too_many_rows": (
            "表格填写了超过 {limit} 行,请分成几个文件导入(每个不超过 {limit} 行)。",
            "The sheet has more than {limit} rows; split it into several files of at most "
            "{limit} rows.",
        ),
        "no_rows": (
            "表格中没有填写任何推荐(请从第 {first} 行起每行填写一位)。",
            "The sheet holds no nominations (one per row, from row {first}).",
        ),
        "wrong_form": (
            "表格第一行不是本奖项推荐表的栏目,请使用本奖项的导入模板。",
            "The sheet's first row is not the headings of this award's form; use this award's "
            "import template.",
        ),
        "unknown_column": (
            "第 {column} 列“{heading}”不是推荐表的栏目,请删除该列或使用导入模板。",
            "Column {column} ('{heading}') is not a field of the form; delete it or use the "
            "import template.",
        ),
        "headless_data": (
            "第 {column} 列没有栏目名称,却在第 {row} 行填有内容。",
            "Column {column} has no heading but row {row} holds something in it.",
        ),
        # Errors of one cell.
        "integer": ("应为整数", "Enter a whole number"),
        "boolean": ("应填“是”或“否”", "Enter Yes or No"),
        "duplicate": ("与第 {rows} 行重复", "Same as row {rows}"),
        "existing": (
            "本单位在本次评选中已推荐过(推荐编号 {ids})",
            "Your unit has already nominated this in this campaign (nomination {ids})",
        ),
    },
    base=MESSAGES,
)
_text = _MESSAGES.text
_rejected = _MESSAGES.rejected


class RowResult(SheetRow):
    """One row of a sheet: its number as Excel shows it, clean data, and errors by field.

    The first nominee of the template is on row 3; ``data`` is empty while the row has errors.
    """

    def add_error(self, name: str, message: str) -> None:
        """Add ``message`` to the errors of field ``name``; the row's data is void."""
        super().add_error(name, message)
        self.data = {}


# --- the template ----------------------------------------------------------------------------


def _row_columns(fd: FieldDef) -> tuple[FieldDef, ...]:
    """Return the columns of a repeatable "rows" field, in the order a line gives them."""
    return tuple(getattr(fd, "columns", ()) or DEFAULT_ROW_COLUMNS)


def _rows_layout(fd: FieldDef, language: str) -> str:
    """Return how a line of a "rows" cell reads: 荣誉称号|授予单位|年份."""
    return "|".join(pick(c.label, language) for c in _row_columns(fd))


def _yes_no(language: str) -> tuple[str, str]:
    return ("是", "否") if language == "zh" else ("Yes", "No")


def _describe(fd: FieldDef, language: str) -> tuple[str, str, str]:
    """Return (format, limits, choices) of a field as the instructions sheet states them."""
    zh = language == "zh"
    formats = {
        "text": ("文本", "Text"),
        "textarea": ("文本(可换行)", "Text (may run over several lines)"),
        "date": ("日期,如 1980-01-31", "Date, as 1980-01-31"),
        "integer": ("整数", "Whole number"),
        "choice": ("从下拉列表中选择", "Choose from the drop-down list"),
        "boolean": ("是 / 否", "Yes / No"),
        "id_number": ("18 位身份证号码(文本)", "18-character resident ID number (text)"),
        "uscc": ("18 位统一社会信用代码(文本)", "18-character unified social credit code"),
        "phone": ("手机或固定电话号码", "Mobile or landline number"),
        "email": ("电子邮件地址", "E-mail address"),
        "rows": (
            f"每项一行(单元格内换行:Alt+Enter),格式:{_rows_layout(fd, 'zh')}",
            f"One per line (Alt+Enter in the cell), as {_rows_layout(fd, 'en')}",
        ),
    }
    fmt = formats.get(fd.type, (fd.type, fd.type))[0 if zh else 1]
    limits = []
    if fd.max_length is not None:
        limits.append(f"不超过 {fd.max_length} 字" if zh else f"At most {fd.max_length} characters")
    if fd.min_length is not None:
        limits.append(f"至少 {fd.min_length} 字" if zh else f"At least {fd.min_length} characters")
    if fd.minimum is not None:
        limits.append(f"不小于 {fd.minimum}" if zh else f"At least {fd.minimum}")
    if fd.maximum is not None:
        limits.append(f"不大于 {fd.maximum}" if zh else f"At most {fd.maximum}")
    max_rows = getattr(fd, "max_rows", None)
    if fd.type == "rows" and max_rows:
        limits.append(f"最多 {max_rows} 项" if zh else f"At most {max_rows}")
    if "not_in_future" in fd.validators:
        limits.append("不晚于今天" if zh else "Not after today")
    sep = "、" if zh else ", "
    choices = sep.join(pick(label, language) for _, label in fd.choices)
    if fd.type == "boolean":
        choices = sep.join(_yes_no(language))
    return fmt, ";".join(limits) if zh else "; ".join(limits), choices


def _heading(fd: FieldDef, language: str) -> str:
    return pick(fd.label, language) + (" *" if fd.required and fd.type != "boolean" else "")


def template(defn: FormDef, language: str = "zh", *, title: str = "") -> bytes:
    """Return an .xlsx template for ``defn``: labels, hidden field names, lists, instructions."""
    zh = language == "zh"
    book = Template(DATA_SHEET[language], language)
    ws = book.sheet
    wrap = Alignment(wrap_text=True, vertical="top")
    for index, fd in enumerate(defn.fields, start=1):
        letter = get_column_letter(index)
        head = book.heading(LABEL_ROW, index, _heading(fd, language))
        head.alignment = Alignment(wrap_text=True, vertical="center")
        ws.cell(row=NAME_ROW, column=index, value=fd.name)
        column = ws.column_dimensions[letter]
        column.width = {"textarea": 40, "rows": 36, "date": 13, "boolean": 8}.get(
            fd.type, max(12, min(30, len(pick(fd.label, language)) * 2 + 4))
        )
        cells = f"{letter}{FIRST_ROW}:{letter}{FIRST_ROW + MAX_ROWS - 1}"
        if fd.type == "date":
            column.number_format = "yyyy-mm-dd"
        elif fd.type in ("text", "textarea", "id_number", "uscc", "phone", "email", "rows"):
            # Text, so that Excel keeps an ID number's 18 digits and a phone's leading zero.
            column.number_format = "@"
        if fd.type in ("textarea", "rows"):
            column.alignment = wrap
        labels: Sequence[str] = ()
        if fd.type == "choice":
            labels = [pick(label, language) for _, label in fd.choices]
        elif fd.type == "boolean":
            labels = _yes_no(language)
        if labels:
            book.choose_from(cells, labels)
        elif fd.max_length is not None and fd.type in ("text", "textarea"):
            limit = f"不能超过 {fd.max_length} 字" if zh else f"At most {fd.max_length} characters"
            book.check(
                cells,
                DataValidation(
                    type="textLength",
                    operator="lessThanOrEqual",
                    formula1=str(fd.max_length),
                    allow_blank=True,
                    showErrorMessage=True,
                    error=limit,
                ),
            )
        elif fd.type == "integer":
            book.check(
                cells,
                DataValidation(
                    type="whole",
                    operator="between",
                    formula1=str(fd.minimum if fd.minimum is not None else -(10**9)),
                    formula2=str(fd.maximum if fd.maximum is not None else 10**9),
                    allow_blank=True,
                    showErrorMessage=True,
                    error="应为整数" if zh else "Enter a whole number",
                ),
            )
    ws.row_dimensions[NAME_ROW].hidden = True
    ws.row_dimensions[LABEL_ROW].height = 30
    ws.freeze_panes = f"A{FIRST_ROW}"
    _instructions(book, defn, language, title)
    return book.bytes()


def _instructions(book: Template, defn: FormDef, language: str, title: str) -> None:
    """Write the instructions sheet: how to fill in the template, then one row per column."""
    zh = language == "zh"
    heading = title or pick(defn.title, language)
    notes = (
        [
            f"{heading}:批量导入说明",
            f"在“{DATA_SHEET['zh']}”表中从第 {FIRST_ROW} 行起每行填写一位被推荐对象,"
            f"最多 {MAX_ROWS} 行;标 * 的栏目必填。",
            "请勿修改、删除或移动第一行的栏目名称和隐藏的第二行,也不要增加栏目。",
            "日期可填 Excel 日期或 1980-01-31;身份证号码等请保持文本格式,以免末位丢失。",
            "公式不会被计算:单元格中的公式按原文导入,请直接填写内容。",
            "上传后系统先逐行检查并列出问题,确认后才会创建推荐(草稿)。",
        ]
        if zh
        else [
            f"{heading}: importing nominations",
            f"On the sheet '{DATA_SHEET['en']}', enter one nominee per row from row {FIRST_ROW}, "
            f"at most {MAX_ROWS} rows; columns marked * are required.",
            "Do not change, delete or move the headings in row 1 or the hidden row 2, and add "
            "no columns.",
            "Dates may be Excel dates or 1980-01-31; keep ID numbers as text, or Excel loses "
            "their last digits.",
            "Formulas are not calculated: a formula is imported as written, so enter values.",
            "After the upload every row is checked and its problems listed; nominations (drafts) "
            "are created only once you confirm.",
        ]
    )
    table: list[Sequence[str]] = [
        ("列", "栏目", "必填", "格式", "限制", "可选值", "填写说明", "字段名")
        if zh
        else ("Column", "Heading", "Required", "Format", "Limits", "Choices", "Help", "Field")
    ]
    yes, no = _yes_no(language)
    for index, fd in enumerate(defn.fields, start=1):
        fmt, limits, choices = _describe(fd, language)
        table.append(
            (
                get_column_letter(index),
                pick(fd.label, language),
                yes if fd.required and fd.type != "boolean" else no,
                fmt,
                limits,
                choices,
                pick(fd.help, language) if fd.help else "",
                fd.name,
            )
        )
    book.instructions(HELP_SHEET[language], notes, table, (6, 22, 8, 28, 22, 40, 36, 18))


# --- reading rows ----------------------------------------------------------------------------


def _convert(fd: FieldDef, value: Any) -> tuple[Any, str | None]:
    """Turn a cell's value into what validation reads for ``fd``; or (None, the problem)."""
    text = cell_text(value)
    if fd.type == "date":
        day = read_date(value)
        return (day.isoformat(), None) if day is not None else (None, _text("date"))
    if fd.type == "integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return value, None
        if isinstance(value, float) and value.is_integer():
            return int(value), None
        digits = nfkc(text).replace(",", "")
        if _INTEGER.fullmatch(digits):
            return int(digits), None
        return None, _text("integer")
    if fd.type == "boolean":
        if isinstance(value, bool):
            return value, None
        word = nfkc(text).casefold()
        if word in _YES:
            return True, None
        if word in _NO:
            return False, None
        return None, _text("boolean")
    if fd.type == "choice":
        choice = match_choice(text, fd.choices)
        if choice is not None:
            return choice, None
        return None, not_a_choice(text, (label for _, label in fd.choices))
    # An 18-digit number is beyond a double's precision: what Excel kept is not the ID.
    if fd.type in ("id_number", "uscc") and lost_digits(value):
        return None, _text("number_id")
    if fd.type == "rows":
        return _convert_rows(fd, text)
    return text, None


def _convert_rows(fd: FieldDef, text: str) -> tuple[Any, str | None]:
    """Turn lines "title|grantor|year" into a list of {column: value}, one per non-empty line.

    Each part is read like a cell of its column's type (labels, dates, whole numbers); the
    rows are then validated with the rest of the form (required columns, limits, how many).
    """
    columns = _row_columns(fd)
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = nfkc(line)
        if not line:
            continue
        parts = [p.strip() for p in line.split("|")]
        problem = None
        if len(parts) > len(columns):
            problem = pick(
                {
                    "zh": f"第 {number} 行应为“{_rows_layout(fd, 'zh')}”",
                    "en": f"Line {number} should read '{_rows_layout(fd, 'en')}'",
                }
            )
        item: dict[str, Any] = {}
        for column, part in zip(columns, parts, strict=False):
            if problem or not part:
                continue
            value, problem = _convert(column, part)
            if problem:
                problem = pick({"zh": f"第 {number} 行:", "en": f"Line {number}: "}) + problem
            item[column.name] = value
        if problem:
            return None, problem
        out.append(item)
    return out, None


def _columns(
    defn: FormDef, labels: Sequence[Any], names: Sequence[Any]
) -> tuple[dict[int, FieldDef], int]:
    """Return {column index: field} and the first data row, from the header rows.

    The hidden row of field names decides when it is there; otherwise the labels (Chinese or
    English) do, and the nominees start on row 2.
    """
    known = {fd.name: fd for fd in defn.fields}
    name_cells = {i: nfkc(str(v)) for i, v in enumerate(names) if v not in (None, "")}
    looks_like_names = all(v.isascii() and v.isidentifier() for v in name_cells.values())
    if name_cells and looks_like_names and not all(v in known for v in name_cells.values()):
        raise _rejected("wrong_form")  # another form's template
    headings: dict[int, str] | Sequence[Any]
    if name_cells and all(v in known for v in name_cells.values()):
        by_column = {i: known[v] for i, v in name_cells.items()}
        first, headings = FIRST_ROW, {i: str(labels[i] or v) for i, v in name_cells.items()}
    else:
        by_label = {
            heading_key(pick(fd.label, lang)): fd for fd in defn.fields for lang in ("zh", "en")
        }
        by_label.update({fd.name.casefold(): fd for fd in defn.fields})
        by_column, unknown = match_headings(labels, by_label)
        if not by_column:
            raise _rejected("wrong_form")
        for i, heading in unknown.items():
            raise _rejected(
                "unknown_column", column=get_column_letter(i + 1), heading=heading.strip()
            )
        first, headings = LABEL_ROW + 1, labels
    check_unique({i: fd.name for i, fd in by_column.items()}, headings, _MESSAGES)
    return by_column, first


def identity_field(defn: FormDef) -> FieldDef | None:
    """Return the field that tells nominees apart: ID number, credit code, or the title field."""
    for kind in ("id_number", "uscc"):
        found = next((f for f in defn.fields if f.type == kind), None)
        if found is not None:
            return found
    return defn.field(defn.title_field) if defn.title_field else None


def _identity(value: Any) -> str:
    return _KEY_NOISE.sub("", nfkc(str(value))).upper() if value not in (None, "") else ""


def read(data: bytes, defn: FormDef, *, max_rows: int | None = None) -> list[RowResult]:
    """Read and validate every row of a sheet for ``defn``; raise SheetRejected for the file.

    Each row is validated as the web form and the API validate (``formdefs.validate``, with
    required fields required), after choice labels are mapped to their values and dates read
    from Excel dates or ISO text; rows that share an ID number are marked on each of them.
    At most ``max_rows`` (default :data:`MAX_ROWS`) rows: more refuses the sheet unvalidated.
    """
    limit = MAX_ROWS if max_rows is None else max_rows
    check_workbook(data)
    filled_rows: list[tuple[int, dict[int, Any]]] = []
    with open_sheet(data, DATA_SHEET.values(), messages=_MESSAGES) as ws:
        header = list(guarded(ws.iter_rows(max_row=NAME_ROW, values_only=True), _MESSAGES))
        header += [()] * (2 - len(header))
        width = max(len(header[0]), len(header[1]))
        labels, names = (list(r) + [None] * (width - len(r)) for r in header)
        by_column, first = _columns(defn, labels, names)
        name_row = sorted(fd.name for fd in by_column.values())
        rows = ws.iter_rows(min_row=first, max_col=width + EXTRA_COLUMNS, values_only=True)
        for number, values in enumerate(guarded(rows, _MESSAGES), start=first):
            if number - first >= MAX_SCANNED_ROWS:
                raise _rejected("too_many_rows", limit=limit)
            filled = {i: v for i, v in enumerate(map(plain, values)) if cell_text(v).strip()}
            if not filled:
                continue
            for i in filled:
                if i not in by_column:
                    raise _rejected("headless_data", column=get_column_letter(i + 1), row=number)
            if len(filled) > 1 and sorted(map(str, filled.values())) == name_row:
                continue  # the hidden row of names, moved by a sort
            if len(filled_rows) >= limit:
                raise _rejected("too_many_rows", limit=limit)
            filled_rows.append((number, filled))
    if not filled_rows:
        raise _rejected("no_rows", first=first)
    results = [_read_row(defn, by_column, number, filled) for number, filled in filled_rows]
    _mark_duplicates(defn, results)
    return results


def _read_row(
    defn: FormDef, by_column: dict[int, FieldDef], number: int, filled: dict[int, Any]
) -> RowResult:
    """Convert and validate one row."""
    result = RowResult(row=number, data={})
    data: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for i, value in filled.items():
        fd = by_column[i]
        result.cells[fd.name] = cell_text(value)
        converted, problem = _convert(fd, value)
        if problem:
            problems[fd.name] = problem
        else:
            data[fd.name] = converted
    clean, errors = validate(defn, data)
    # A cell that could not be read is reported as such, not as missing.
    for name, problem in problems.items():
        errors[name] = [problem]
    result.data = {} if errors else clean
    result.errors = {name: list(messages) for name, messages in errors.items()}
    if not errors:
        ident = identity_field(defn)
        if ident is not None and clean.get(ident.name):
            result.cells[ident.name] = str(clean[ident.name])
    return result


def _mark_duplicates(defn: FormDef, results: list[RowResult]) -> None:
    """Mark every row whose identifying value another row of the sheet also has."""
    ident = identity_field(defn)
    if ident is None:
        return
    by_key: dict[str, list[RowResult]] = {}
    for r in results:
        key = _identity(r.data.get(ident.name) or r.cells.get(ident.name))
        if key:
            by_key.setdefault(key, []).append(r)
    for same in by_key.values():
        if len(same) < 2:
            continue
        for r in same:
            others = listed(str(o.row) for o in same if o is not r)
            r.add_error(ident.name, _text("duplicate", rows=others))


def check_existing(
    session: Session,
    rows: Iterable[RowResult],
    *,
    campaign: Campaign,
    kind: str,
    unit: Organisation,
) -> None:
    """Mark rows naming someone the unit has already nominated for this award in this campaign.

    Only the unit's own nominations are compared, which its submitters may see anyway; a
    withdrawn nomination does not count, since the unit may nominate the person again.
    """
    rows = list(rows)
    if not rows:
        return
    award = campaign.award(kind)
    if award is None:
        return
    ident = identity_field(engine.workflow_by_hash(session, award.definition_hash).nominee_form)
    if ident is None:
        return
    existing: dict[str, list[int]] = {}
    for n in session.scalars(
        select(Nomination).where(
            Nomination.campaign_id == campaign.id,
            Nomination.kind == kind,
            Nomination.unit_id == unit.id,
            Nomination.state != "withdrawn",
        )
    ):
        key = _identity((n.data or {}).get(ident.name))
        if key:
            existing.setdefault(key, []).append(n.id)
    for r in rows:
        ids = existing.get(_identity(r.data.get(ident.name) or r.cells.get(ident.name)))
        if ids:
            r.add_error(ident.name, _text("existing", ids=listed(map(str, sorted(ids)))))


# --- creating the nominations ----------------------------------------------------------------


def commit(
    session: Session,
    *,
    actor: Any,
    campaign: Campaign,
    kind: str,
    unit: Organisation,
    rows: Sequence[RowResult],
    accept_valid_only: bool,
    sheet_sha256: str | None = None,
) -> list[Nomination]:
    """Create one nomination per valid row in the caller's transaction; return them in order.

    All rows or none: any invalid row refuses the whole sheet (InvalidData, nothing created)
    unless ``accept_valid_only``, when the valid rows are created and the others left out.
    Each creation is audited by ``create_nomination``; one more event records the import
    itself (the sheet's hash, the rows created and left out), without personal data. Like
    every operation it only flushes: the caller commits, or rolls back on any exception.
    """
    if not can_create_nomination(actor, unit):
        raise PermissionDenied("you may not nominate for this unit")
    valid, invalid = split_valid(rows, accept_valid_only=accept_valid_only)
    created = [
        create_nomination(
            session, actor=actor, campaign=campaign, kind=kind, unit=unit, data=r.data
        )
        for r in valid
    ]
    record_event(
        session,
        actor,
        "nomination.import",
        Entity("campaign", campaign.id, unit.id, campaign.id),
        role="unit_submitter",
        after={
            "kind": kind,
            "sheet_sha256": sheet_sha256,
            "rows": len(rows),
            "created": [n.id for n in created],
            "left_out_rows": [r.row for r in invalid],
        },
    )
    return created


# --- keeping the sheet between the dry run and the commit ------------------------------------


def prune_kept(*, root: Path | None = None, max_age: int = KEEP_SECONDS) -> int:
    """Delete kept sheets older than ``max_age`` seconds; return how many."""
    return _KEPT.prune(root=root, max_age=max_age)


def keep_sheet(data: bytes, *, root: Path | None = None) -> str:
    """Store a checked sheet by its SHA-256 until its commit; return the hash."""
    check_workbook(data)
    return _KEPT.keep(data, root=root)


def kept_sheet(sha256: str, *, root: Path | None = None) -> bytes:
    """Return a kept sheet's bytes, re-hashed; FileNotFoundError once pruned or imported."""
    return _KEPT.read(sha256, root=root)


def discard_sheet(sha256: str, *, root: Path | None = None) -> None:
    """Delete a kept sheet (after its import)."""
    _KEPT.discard(sha256, root=root)


__all__ = [
    # The pages of the import, and the units' sheet, take the workbook's machinery from here.
    "KEEP_SECONDS",
    "LIST_SHEET",
    "MAX_ROWS",
    "XLSX_TYPE",
    "RowResult",
    "SheetRejected",
    "check_existing",
    "check_workbook",
    "commit",
    "discard_sheet",
    "identity_field",
    "keep_sheet",
    "kept_sheet",
    "prune_kept",
    "read",
    "template",
]
