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

import hashlib
import io
import os
import re
import time
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
from flask import current_app, has_app_context
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select
from sqlalchemy.orm import Session

from nomination import engine, uploads
from nomination.audit.chain import append_event
from nomination.definitions.forms import FieldDef, FormDef, validate
from nomination.errors import InvalidData, PermissionDenied
from nomination.i18n import pick
from nomination.models import Campaign, Nomination, Organisation
from nomination.nominations.operations import create_nomination
from nomination.permissions import can_create_nomination

#: At most this many nominees in one sheet; more is refused with a message saying so.
MAX_ROWS = 500
#: An uploaded sheet is kept this long for its commit, then pruned.
KEEP_SECONDS = 24 * 3600
#: A workbook whose parts unpack to more than this is refused (500 full rows take about 10 MiB).
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
#: Rows read at most, empty ones included (a sheet formatted far down has many empty rows).
MAX_SCANNED_ROWS = 100_000
#: Columns read beyond the headings, to find data typed where no heading is.
EXTRA_COLUMNS = 100
#: The data sheet's name in each language; a workbook without one is read from its first sheet.
DATA_SHEET = {"zh": "推荐名单", "en": "Nominations"}
#: The instructions sheet's name in each language.
HELP_SHEET = {"zh": "说明", "en": "Instructions"}
#: The hidden sheet holding the drop-down lists.
LIST_SHEET = "选项"
#: Row 1 holds the labels, hidden row 2 the field names; nominees start on row 3.
LABEL_ROW, NAME_ROW, FIRST_ROW = 1, 2, 3
#: The content type of a plain workbook's main part (not a template, not macro-enabled).
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: The columns of a repeatable "rows" field whose definition names none (prior honours).
DEFAULT_ROW_COLUMNS = (
    FieldDef(name="title", type="text", label={"zh": "荣誉称号", "en": "Title"}),
    FieldDef(name="grantor", type="text", label={"zh": "授予单位", "en": "Conferred by"}),
    FieldDef(name="year", type="integer", label={"zh": "年份", "en": "Year"}),
)
#: Words a yes/no cell may hold (compared after NFKC and case folding).
_YES = {"是", "y", "yes", "true", "1", "√", "✓", "有"}
_NO = {"否", "n", "no", "false", "0", "×", "✗", "无"}
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_INTEGER = re.compile(r"[+-]?\d+")
_ZIP_MAGIC = b"PK\x03\x04"
_DOCTYPE = tuple("<!DOCTYPE".encode(codec) for codec in ("utf-8", "utf-16-le", "utf-16-be"))
#: The parts of the identifying field's value that do not count when comparing two rows.
_KEY_NOISE = re.compile(r"[\s\-]")

#: code → (Chinese, English); the braces are filled in with str.format.
_MESSAGES: dict[str, tuple[str, str]] = {
    "empty": ("文件是空的。", "The file is empty."),
    "not_xlsx": (
        "只接受 Excel 工作簿(.xlsx)。请用下载的模板填写;.xls、WPS 或 CSV 文件请先另存为 .xlsx,"
        "加密的工作簿请先取消密码。",
        "Only Excel workbooks (.xlsx) are accepted. Fill in the downloaded template; save .xls, "
        "WPS or CSV files as .xlsx first, and remove any password.",
    ),
    "damaged": (
        "文件已损坏或不完整,无法打开。",
        "The file is damaged or incomplete and cannot be opened.",
    ),
    "macros": (
        "工作簿含有宏或控件,请另存为普通的 .xlsx 工作簿后再上传。",
        "The workbook contains macros or controls; save it as a plain .xlsx workbook and "
        "upload it again.",
    ),
    "too_large_unpacked": (
        "工作簿解压后超过了 {limit} 的上限。",
        "The workbook unpacks to more than the limit of {limit}.",
    ),
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
    "duplicate_column": (
        "栏目“{heading}”出现了两次(第 {first} 列和第 {second} 列)。",
        "The heading '{heading}' appears twice (columns {first} and {second}).",
    ),
    "headless_data": (
        "第 {column} 列没有栏目名称,却在第 {row} 行填有内容。",
        "Column {column} has no heading but row {row} holds something in it.",
    ),
    # Errors of one cell.
    "date": ("日期应为 Excel 日期或 1980-01-31 的格式", "Enter a date, as 1980-01-31"),
    "integer": ("应为整数", "Enter a whole number"),
    "choice": ("“{value}”不是可选项;可选:{choices}", "'{value}' is not a choice: {choices}"),
    "boolean": ("应填“是”或“否”", "Enter Yes or No"),
    "number_id": (
        "号码被 Excel 存成了数字,末几位可能已经丢失;请把该列设为文本格式后重新填写",
        "Excel stored the number as a number and may have lost its last digits; format the "
        "column as text and enter it again",
    ),
    "duplicate": ("与第 {rows} 行重复", "Same as row {rows}"),
    "existing": (
        "本单位在本次评选中已推荐过(推荐编号 {ids})",
        "Your unit has already nominated this in this campaign (nomination {ids})",
    ),
}


def _text(code: str, **values: Any) -> str:
    """Return the message ``code`` in the current language, filled in."""
    zh, en = _MESSAGES[code]
    return pick({"zh": zh.format(**values), "en": en.format(**values)})


def _listed(items: Iterable[str]) -> str:
    """Return ``items`` as a list in the current language: 甲、乙 or A, B."""
    return pick({"zh": "、", "en": ", "}).join(items)


class SheetRejected(uploads.UploadRejected):
    """A refused sheet: a file that is no plain workbook, or a sheet that is not the template."""


def _rejected(code: str, **values: Any) -> SheetRejected:
    zh, en = _MESSAGES[code]
    return SheetRejected(code, zh.format(**values), en.format(**values))


@dataclass
class RowResult:
    """One row of a sheet: its number as Excel shows it, clean data, and errors by field."""

    #: The row's number in the sheet (the first nominee of the template is on row 3).
    row: int
    #: The data as validation cleaned it (empty while the row has errors).
    data: dict[str, Any]
    #: Messages by field name, in the language of the request that read the sheet.
    errors: dict[str, list[str]] = field(default_factory=dict)
    #: What each cell held, as text, to show beside its errors.
    cells: dict[str, str] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        """Return whether the row can be imported."""
        return not self.errors

    def add_error(self, name: str, message: str) -> None:
        """Add ``message`` to the errors of field ``name``; the row's data is void."""
        self.errors.setdefault(name, []).append(message)
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
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = DATA_SHEET[language]
    lists = wb.create_sheet(LIST_SHEET)
    lists.sheet_state = "hidden"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="FDE9E7")
    wrap = Alignment(wrap_text=True, vertical="top")
    list_column = 0
    for index, fd in enumerate(defn.fields, start=1):
        letter = get_column_letter(index)
        head = ws.cell(row=LABEL_ROW, column=index, value=_heading(fd, language))
        head.font, head.fill = bold, fill
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
            # The lists live on a hidden sheet: an inline list is limited to 255 characters
            # and cannot hold a label with a comma.
            list_column += 1
            list_letter = get_column_letter(list_column)
            for i, label in enumerate(labels, start=1):
                lists.cell(row=i, column=list_column, value=label)
            check = DataValidation(
                type="list",
                formula1=f"'{LIST_SHEET}'!${list_letter}$1:${list_letter}${len(labels)}",
                allow_blank=True,
                showErrorMessage=True,
                error="请从下拉列表中选择" if zh else "Choose from the list",
            )
        elif fd.max_length is not None and fd.type in ("text", "textarea"):
            check = DataValidation(
                type="textLength",
                operator="lessThanOrEqual",
                formula1=str(fd.max_length),
                allow_blank=True,
                showErrorMessage=True,
                error=(
                    f"不能超过 {fd.max_length} 字" if zh else f"At most {fd.max_length} characters"
                ),
            )
        elif fd.type == "integer":
            check = DataValidation(
                type="whole",
                operator="between",
                formula1=str(fd.minimum if fd.minimum is not None else -(10**9)),
                formula2=str(fd.maximum if fd.maximum is not None else 10**9),
                allow_blank=True,
                showErrorMessage=True,
                error="应为整数" if zh else "Enter a whole number",
            )
        else:
            continue
        ws.add_data_validation(check)
        check.add(cells)
    ws.row_dimensions[NAME_ROW].hidden = True
    ws.row_dimensions[LABEL_ROW].height = 30
    ws.freeze_panes = ws.cell(row=FIRST_ROW, column=1)
    _instructions(wb.create_sheet(HELP_SHEET[language], 1), defn, language, title)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _instructions(ws: Any, defn: FormDef, language: str, title: str) -> None:
    """Fill the instructions sheet: how to fill in the template, then one row per column."""
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
    for i, note in enumerate(notes, start=1):
        ws.cell(row=i, column=1, value=note).font = Font(bold=i == 1, size=13 if i == 1 else 11)
    top = len(notes) + 2
    columns = (
        ("列", "栏目", "必填", "格式", "限制", "可选值", "填写说明", "字段名")
        if zh
        else ("Column", "Heading", "Required", "Format", "Limits", "Choices", "Help", "Field")
    )
    for c, text in enumerate(columns, start=1):
        ws.cell(row=top, column=c, value=text).font = Font(bold=True)
    yes, no = _yes_no(language)
    for r, fd in enumerate(defn.fields, start=top + 1):
        fmt, limits, choices = _describe(fd, language)
        values = (
            get_column_letter(r - top),
            pick(fd.label, language),
            yes if fd.required and fd.type != "boolean" else no,
            fmt,
            limits,
            choices,
            pick(fd.help, language) if fd.help else "",
            fd.name,
        )
        for c, value in enumerate(values, start=1):
            ws.cell(row=r, column=c, value=value).alignment = Alignment(
                wrap_text=True, vertical="top"
            )
    for letter, width in zip("ABCDEFGH", (6, 22, 8, 28, 22, 40, 36, 18), strict=True):
        ws.column_dimensions[letter].width = width


# --- checking the file -----------------------------------------------------------------------


def check_workbook(data: bytes) -> None:
    """Refuse ``data`` unless it is a plain, intact .xlsx workbook; raise SheetRejected.

    Judged by content, like every upload (``nomination.uploads``): a ZIP with a workbook part
    of the plain workbook type, no macros or controls, a bounded unpacked size and ratio, intact
    parts, and no DTD anywhere (OOXML has none).
    """
    if not data:
        raise _rejected("empty")
    if not data.startswith(_ZIP_MAGIC):
        # An .xls or an encrypted workbook (OLE), HTML or CSV renamed: not a workbook.
        raise _rejected("not_xlsx")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _rejected("damaged") from None
    with archive:
        members = archive.infolist()
        names = [m.filename for m in members]
        if len(members) > uploads.MAX_ZIP_MEMBERS or len(set(names)) != len(names):
            raise _rejected("damaged")
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise _rejected("not_xlsx")
        if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
            raise _rejected("too_large_unpacked", limit=f"{MAX_UNPACKED_BYTES // 2**20} MiB")
        for m in members:
            if (
                m.file_size > uploads.RATIO_EXEMPT_BYTES
                and m.file_size > uploads.MAX_COMPRESSION_RATIO * max(m.compress_size, 1)
            ):
                raise _rejected("damaged")
        types = uploads.xml_elements(uploads.read_zip_part(archive, "[Content_Types].xml"))
        defaults = {a.get("Extension", "").lower(): a.get("ContentType", "") for t, a in types}
        overrides = {
            a.get("PartName", "").lower(): a.get("ContentType", "")
            for t, a in types
            if t == "Override"
        }
        content_types = [a.get("ContentType", "") for _, a in types]
        if uploads.has_macros(archive, names, content_types):
            raise _rejected("macros")
        if overrides.get("/xl/workbook.xml", defaults.get("xml")) != XLSX_MAIN:
            raise _rejected("not_xlsx")  # .xlsm, .xltx and the like
        for m in members:
            try:
                part = archive.read(m)  # checks the CRC
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError):
                raise _rejected("damaged") from None
            if any(mark in part for mark in _DOCTYPE):
                raise _rejected("damaged")


# --- reading rows ----------------------------------------------------------------------------


def _nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip()


def _plain(value: Any) -> Any:
    """Return a cell's value as read: formulas as their text, never their (cached) result."""
    if value is None or isinstance(value, str | int | float | bool | date):
        return value
    # openpyxl gives array and data-table formulas as objects; their text is what was typed.
    return getattr(value, "text", None) or str(value)


def _shown(value: Any) -> str:
    """Return a cell's value as text for people."""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return _shown(value)


def _convert(fd: FieldDef, value: Any) -> tuple[Any, str | None]:
    """Turn a cell's value into what validation reads for ``fd``; or (None, the problem)."""
    if fd.type == "date":
        if isinstance(value, datetime):
            return value.date().isoformat(), None
        if isinstance(value, date):
            return value.isoformat(), None
        match = _DATE.fullmatch(_nfkc(_as_text(value)))
        if match:
            try:
                return date(*(int(g) for g in match.groups())).isoformat(), None
            except ValueError:
                pass
        return None, _text("date")
    if fd.type == "integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return value, None
        if isinstance(value, float) and value.is_integer():
            return int(value), None
        text = _nfkc(_as_text(value)).replace(",", "")
        if _INTEGER.fullmatch(text):
            return int(text), None
        return None, _text("integer")
    if fd.type == "boolean":
        if isinstance(value, bool):
            return value, None
        word = _nfkc(_as_text(value)).casefold()
        if word in _YES:
            return True, None
        if word in _NO:
            return False, None
        return None, _text("boolean")
    if fd.type == "choice":
        text = _nfkc(_as_text(value)).casefold()
        for choice, label in fd.choices:
            if text in {choice.casefold(), *(_nfkc(v).casefold() for v in label.values())}:
                return choice, None
        labels = _listed(pick(label) for _, label in fd.choices)
        return None, _text("choice", value=_as_text(value), choices=labels)
    # An 18-digit number is beyond a double's precision: what Excel kept is not the ID.
    number = isinstance(value, float | int) and not isinstance(value, bool)
    if fd.type in ("id_number", "uscc") and number and abs(value) >= 10**15:
        return None, _text("number_id")
    if fd.type == "rows":
        return _convert_rows(fd, _as_text(value))
    return _as_text(value), None


def _convert_rows(fd: FieldDef, text: str) -> tuple[Any, str | None]:
    """Turn lines "title|grantor|year" into a list of {column: value}, one per non-empty line.

    Each part is read like a cell of its column's type (labels, dates, whole numbers); the
    rows are then validated with the rest of the form (required columns, limits, how many).
    """
    columns = _row_columns(fd)
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = _nfkc(line)
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


def _heading_key(text: str) -> str:
    """Return a heading as compared: NFKC, no required mark, no spaces, case-folded."""
    return re.sub(r"\s+", "", _nfkc(text).rstrip("* ")).casefold()


def _columns(defn: FormDef, labels: Sequence[Any], names: Sequence[Any]) -> tuple[dict, int]:
    """Return {column index: field} and the first data row, from the header rows.

    The hidden row of field names decides when it is there; otherwise the labels (Chinese or
    English) do, and the nominees start on row 2.
    """
    known = {fd.name: fd for fd in defn.fields}
    name_cells = {i: _nfkc(str(v)) for i, v in enumerate(names) if v not in (None, "")}
    looks_like_names = all(v.isascii() and v.isidentifier() for v in name_cells.values())
    if name_cells and looks_like_names and not all(v in known for v in name_cells.values()):
        raise _rejected("wrong_form")  # another form's template
    if name_cells and all(v in known for v in name_cells.values()):
        by_column = {i: known[v] for i, v in name_cells.items()}
        first, headings = FIRST_ROW, {i: str(labels[i] or v) for i, v in name_cells.items()}
    else:
        by_label = {
            _heading_key(pick(fd.label, lang)): fd for fd in defn.fields for lang in ("zh", "en")
        }
        by_label.update({fd.name.casefold(): fd for fd in defn.fields})
        heads = {i: str(v) for i, v in enumerate(labels) if v not in (None, "")}
        if not any(_heading_key(h) in by_label for h in heads.values()):
            raise _rejected("wrong_form")
        by_column = {}
        for i, heading in heads.items():
            fd = by_label.get(_heading_key(heading))
            if fd is None:
                raise _rejected(
                    "unknown_column", column=get_column_letter(i + 1), heading=heading.strip()
                )
            by_column[i] = fd
        first, headings = LABEL_ROW + 1, heads
    seen: dict[str, int] = {}
    for i, fd in by_column.items():
        if fd.name in seen:
            raise _rejected(
                "duplicate_column",
                heading=headings[i].strip(),
                first=get_column_letter(seen[fd.name] + 1),
                second=get_column_letter(i + 1),
            )
        seen[fd.name] = i
    return by_column, first


@contextmanager
def _open_sheet(data: bytes) -> Iterator[Any]:
    """Open the workbook read-only (streaming) and give its data sheet, formulas as text.

    The sheet's own dimensions are ignored: a false one would pad every row to its width.
    """
    # openpyxl warns about extensions it drops (conditional formats, slicers): nothing the
    # import reads, and no reason to fail.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            wb = openpyxl.load_workbook(
                io.BytesIO(data), read_only=True, data_only=False, keep_links=False
            )
            names = [n for n in DATA_SHEET.values() if n in wb.sheetnames]
            visible = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
            ws = wb[names[0]] if names else (visible or wb.worksheets)[0]
            ws.reset_dimensions()
        except Exception:
            # Whatever openpyxl's parsers met (KeyError, ValueError, XML errors, ...).
            raise _rejected("damaged") from None
        try:
            yield ws
        finally:
            wb.close()


def _guarded(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    """Yield ``rows``; a parser's failure on the way is a damaged file."""
    try:
        yield from rows
    except Exception:
        raise _rejected("damaged") from None


def identity_field(defn: FormDef) -> FieldDef | None:
    """Return the field that tells nominees apart: ID number, credit code, or the title field."""
    for kind in ("id_number", "uscc"):
        found = next((f for f in defn.fields if f.type == kind), None)
        if found is not None:
            return found
    return defn.field(defn.title_field) if defn.title_field else None


def _identity(value: Any) -> str:
    return _KEY_NOISE.sub("", _nfkc(str(value))).upper() if value not in (None, "") else ""


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
    with _open_sheet(data) as ws:
        header = list(_guarded(ws.iter_rows(max_row=NAME_ROW, values_only=True)))
        header += [()] * (2 - len(header))
        width = max(len(header[0]), len(header[1]))
        labels, names = (list(r) + [None] * (width - len(r)) for r in header)
        by_column, first = _columns(defn, labels, names)
        name_row = sorted(fd.name for fd in by_column.values())
        rows = ws.iter_rows(min_row=first, max_col=width + EXTRA_COLUMNS, values_only=True)
        for number, values in enumerate(_guarded(rows), start=first):
            if number - first >= MAX_SCANNED_ROWS:
                raise _rejected("too_many_rows", limit=limit)
            filled = {i: v for i, v in enumerate(map(_plain, values)) if _as_text(v).strip()}
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
        result.cells[fd.name] = _shown(value)
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
            others = _listed(str(o.row) for o in same if o is not r)
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
            r.add_error(ident.name, _text("existing", ids=_listed(map(str, sorted(ids)))))


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
    invalid = [r for r in rows if not r.valid]
    if invalid and not accept_valid_only:
        raise InvalidData(
            f"{len(invalid)} of {len(rows)} rows have errors; nothing was imported",
            fields={
                f"row {r.row}": [f"{name}: {m}" for name, ms in r.errors.items() for m in ms]
                for r in invalid
            },
        )
    valid = [r for r in rows if r.valid]
    if not valid:
        raise InvalidData("no row can be imported")
    created = [
        create_nomination(
            session, actor=actor, campaign=campaign, kind=kind, unit=unit, data=r.data
        )
        for r in valid
    ]
    append_event(
        session,
        action="nomination.import",
        actor_id=getattr(actor, "id", None),
        actor_name=actor.name,
        role="unit_submitter",
        organisation_id=unit.id,
        campaign_id=campaign.id,
        entity_type="campaign",
        entity_id=campaign.id,
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


def _kept_root(root: Path | None) -> Path:
    """Return the folder of kept sheets: ``imports`` in the upload folder."""
    if root is not None:
        return Path(root)
    if not has_app_context():
        raise RuntimeError("imports: pass root= outside an application context")
    configured = current_app.config.get("UPLOAD_DIR")
    base = Path(configured) if configured else Path(current_app.instance_path) / "uploads"
    return base / "imports"


def prune_kept(*, root: Path | None = None, max_age: int = KEEP_SECONDS) -> int:
    """Delete kept sheets older than ``max_age`` seconds; return how many."""
    folder = _kept_root(root)
    if not folder.is_dir():
        return 0
    cutoff, removed = time.time() - max_age, 0
    for path in folder.glob("??/*"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue  # pruned by another worker meanwhile
    return removed


def keep_sheet(data: bytes, *, root: Path | None = None) -> str:
    """Store a checked sheet by its SHA-256 until its commit; return the hash."""
    check_workbook(data)
    prune_kept(root=root)
    sha256 = hashlib.sha256(data).hexdigest()
    path = _kept_root(root) / sha256[:2] / sha256
    uploads.write_once(path, data, sha256)
    os.utime(path)  # kept from now on, should the same sheet have been kept before
    return sha256


def kept_sheet(sha256: str, *, root: Path | None = None) -> bytes:
    """Return a kept sheet's bytes, re-hashed; FileNotFoundError once pruned or imported."""
    return uploads.open_stored(sha256, root=_kept_root(root)).read_bytes()


def discard_sheet(sha256: str, *, root: Path | None = None) -> None:
    """Delete a kept sheet (after its import)."""
    if re.fullmatch(r"[0-9a-f]{64}", sha256 or ""):
        (_kept_root(root) / sha256[:2] / sha256).unlink(missing_ok=True)
