"""Workbooks in and out: reading an uploaded sheet safely, writing templates and exports.

The one reader and writer of Excel workbooks (and CSV text) behind every import and export of
rows: a batch of nominations, an archive of honoured workers, units and their users. It knows
nothing of any of them; each keeps only its own columns, the parsing of its rows and the
operation it calls.

Reading. An upload is judged by its content, like every upload (``nomination.uploads``):
:func:`check_workbook` accepts only a plain, intact .xlsx workbook (no macros, no DTD, a
bounded unpacked size), :func:`read_table` also CSV text in UTF-8 or GB18030.
:func:`open_sheet` and :func:`sheet_rows` read the data sheet streaming, formulas as their
text (never a cached result), and any parser's failure is a damaged file. Headings are matched
in either language (:func:`heading_key`, :func:`match_headings`, :func:`check_unique`), and
cells read as people typed them (:func:`cell_text`, :func:`read_date`, :func:`match_choice`).

Each area speaks to its users in its own words: a :class:`Messages` table, by code, in
Chinese and English, that falls back on this module's :data:`MESSAGES`; a refused file is an
``UploadRejected`` of the area's class, a problem of one cell a message in a
:class:`SheetRow`'s errors by column.

Dry runs. Nothing is written until the user confirms: :func:`split_valid` refuses a file with
invalid rows unless the user accepted to leave them out, and :func:`run_in_savepoints` runs an
operation on every row in a savepoint of its own, so that each row's errors are found, and
keeps the result only when asked to and every row was accepted. Between the dry run and the
commit the upload is kept by its SHA-256 outside any web root (:class:`KeptFiles`), for at
most :data:`KEEP_SECONDS`, and deleted once imported: it holds personal data.

Writing. A :class:`Template` is a workbook with headings, drop-down lists on a hidden sheet
and an instructions sheet; an export (:func:`csv_bytes`, :func:`csv_chunks`,
:func:`xlsx_bytes`) writes values only, after :func:`neutralise` has defused every cell that
a spreadsheet would take for a formula.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import time
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

import openpyxl
from flask import current_app, has_app_context
from openpyxl.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy.orm import Session

from nomination import uploads
from nomination.errors import InvalidData
from nomination.i18n import pick

#: The content type of an .xlsx workbook, as downloads are sent.
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: The content type of a plain workbook's main part (not a template, not macro-enabled).
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
#: A workbook whose parts unpack to more than this is refused (500 full rows take about 10 MiB).
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
#: An upload is kept this long for its commit, then pruned.
KEEP_SECONDS = 24 * 3600
#: The hidden sheet of a template that holds its drop-down lists.
LIST_SHEET = "选项"
#: A cell starting with one of these is a formula (or may become one) in a spreadsheet.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: The quote an export puts before a would-be formula, and before a text that starts with it,
#: so that an import takes away exactly the one quote the export added.
QUOTE = "'"

_ZIP_MAGIC = b"PK\x03\x04"
#: An old Excel workbook (.xls), or an encrypted .xlsx: an OLE compound file.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_DOCTYPE = tuple("<!DOCTYPE".encode(codec) for codec in ("utf-8", "utf-16-le", "utf-16-be"))
#: Control characters no text file of names holds (tab, line feed and return are allowed).
_BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
#: The template's headings: bold, on pale red.
_HEADING_FONT = Font(bold=True)
_HEADING_FILL = PatternFill("solid", fgColor="FDE9E7")

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")


# --- messages --------------------------------------------------------------------------------


class SheetRejected(uploads.UploadRejected):
    """A refused sheet: a file that is no plain workbook, or a sheet that is not the template."""


class Messages:
    """Messages by code, each (Chinese, English) with braces filled in by str.format.

    A code the table does not hold is looked up in ``base``, so that an area states only the
    messages of its own rows and the ones it words differently; ``rejection`` is the class
    of the files it refuses.
    """

    def __init__(
        self,
        table: Mapping[str, tuple[str, str]],
        *,
        rejection: type[uploads.UploadRejected] = SheetRejected,
        base: Messages | None = None,
    ) -> None:
        self.table = dict(table)
        self.rejection = rejection
        self.base = base

    def pair(self, code: str) -> tuple[str, str]:
        """Return the (Chinese, English) message ``code``, unfilled."""
        if code in self.table:
            return self.table[code]
        if self.base is None:
            raise KeyError(code)
        return self.base.pair(code)

    def text(self, code: str, **values: Any) -> str:
        """Return the message ``code`` in the current language, filled in."""
        zh, en = self.pair(code)
        return pick({"zh": zh.format(**values), "en": en.format(**values)})

    def rejected(self, code: str, **values: Any) -> uploads.UploadRejected:
        """Return the refusal of a file for ``code``, in both languages."""
        zh, en = self.pair(code)
        return self.rejection(code, zh.format(**values), en.format(**values))


#: The messages of reading a file and its cells, which every import shares.
MESSAGES = Messages(
    {
        "empty": ("文件是空的。", "The file is empty."),
        "too_large": ("文件超过了 {limit} 的上限。", "The file is over the limit of {limit}."),
        "not_xlsx": (
            "只接受 Excel 工作簿(.xlsx)。请用下载的模板填写;.xls、WPS 或 CSV 文件请先另存为 "
            ".xlsx,加密的工作簿请先取消密码。",
            "Only Excel workbooks (.xlsx) are accepted. Fill in the downloaded template; save "
            ".xls, WPS or CSV files as .xlsx first, and remove any password.",
        ),
        "xls": (
            "不接受旧版 Excel(.xls)文件,请另存为 .xlsx 或 CSV 后上传。",
            "Old Excel files (.xls) are not accepted; save as .xlsx or CSV and upload again.",
        ),
        "zip": (
            "此压缩文件不是 Excel 工作簿(.xlsx);请上传 .xlsx 或 CSV 文件,加密的工作簿请先取消"
            "密码。",
            "This ZIP file is no Excel workbook (.xlsx); upload an .xlsx or CSV file, and remove "
            "any password from the workbook.",
        ),
        "not_text": (
            "文件既不是 Excel 工作簿(.xlsx),也不是 CSV 文本文件。",
            "The file is neither an Excel workbook (.xlsx) nor a CSV text file.",
        ),
        "encoding": (
            "无法识别 CSV 文件的编码,请保存为 UTF-8 或 GB18030 编码。",
            "The CSV file's encoding is not recognised; save it as UTF-8 or GB18030.",
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
        "duplicate_column": (
            "栏目“{heading}”出现了两次(第 {first} 列和第 {second} 列)。",
            "The heading '{heading}' appears twice (columns {first} and {second}).",
        ),
        # Errors of one cell.
        "date": ("日期应为 Excel 日期或 1980-01-31 的格式", "Enter a date, as 1980-01-31"),
        "choice": ("“{value}”不是可选项;可选:{choices}", "'{value}' is not a choice: {choices}"),
        "number_id": (
            "号码被 Excel 存成了数字,末几位可能已经丢失;请把该列设为文本格式后重新填写",
            "Excel stored the number as a number and may have lost its last digits; format the "
            "column as text and enter it again",
        ),
    }
)


def listed(items: Iterable[str]) -> str:
    """Return ``items`` as a list in the current language: 甲、乙 or A, B."""
    return pick({"zh": "、", "en": ", "}).join(items)


# --- checking the file -----------------------------------------------------------------------


def check_workbook(data: bytes) -> None:
    """Refuse ``data`` unless it is a plain, intact .xlsx workbook; raise SheetRejected.

    Judged by content, like every upload (``nomination.uploads``): a ZIP with a workbook part
    of the plain workbook type, no macros or controls, a bounded unpacked size and ratio, intact
    parts, and no DTD anywhere (OOXML has none).
    """
    rejected = MESSAGES.rejected
    if not data:
        raise rejected("empty")
    if not data.startswith(_ZIP_MAGIC):
        # An .xls or an encrypted workbook (OLE), HTML or CSV renamed: not a workbook.
        raise rejected("not_xlsx")

    def refuse(reason: str) -> uploads.UploadRejected:
        if reason == "unsupported_type":
            return rejected("not_xlsx")  # no workbook part, or an .xlsm, .xltx and the like
        if reason == "too_large_unpacked":
            return rejected(reason, limit=f"{MAX_UNPACKED_BYTES // 2**20} MiB")
        return rejected(reason)

    with uploads.open_package(
        data, "xl/workbook.xml", XLSX_MAIN, max_unpacked=MAX_UNPACKED_BYTES, refuse=refuse
    ) as archive:
        for m in archive.infolist():
            try:
                part = archive.read(m)  # checks the CRC
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError):
                raise rejected("damaged") from None
            if any(mark in part for mark in _DOCTYPE):
                raise rejected("damaged")


# --- reading rows ----------------------------------------------------------------------------


@contextmanager
def open_sheet(
    data: bytes,
    sheet_names: Iterable[str],
    *,
    messages: Messages = MESSAGES,
    formulas_as_text: bool = True,
) -> Iterator[Any]:
    """Open a checked workbook read-only (streaming) and give its data sheet.

    The data sheet is the first of ``sheet_names`` the workbook holds, else its first visible
    sheet. A formula is read as its text, never its cached result, unless
    ``formulas_as_text`` is false. The sheet's own dimensions are ignored: a false one would
    pad every row to its width. A parser's failure is a damaged file (``messages``' "damaged").
    """
    # openpyxl warns about extensions it drops (conditional formats, slicers): nothing an
    # import reads, and no reason to fail.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            wb = openpyxl.load_workbook(
                io.BytesIO(data),
                read_only=True,
                data_only=not formulas_as_text,
                keep_links=False,
            )
            names = [n for n in sheet_names if n in wb.sheetnames]
            visible = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
            ws = wb[names[0]] if names else (visible or wb.worksheets)[0]
            ws.reset_dimensions()
        except Exception:
            # Whatever openpyxl's parsers met (KeyError, ValueError, XML errors, ...).
            raise messages.rejected("damaged") from None
        try:
            yield ws
        finally:
            wb.close()


def guarded(rows: Iterable[R], messages: Messages = MESSAGES) -> Iterator[R]:
    """Yield ``rows``; a parser's failure on the way is a damaged file."""
    try:
        yield from rows
    except Exception:
        raise messages.rejected("damaged") from None


def sheet_rows(
    data: bytes,
    sheet_names: Iterable[str],
    *,
    messages: Messages = MESSAGES,
    formulas_as_text: bool = True,
) -> Iterator[tuple[Any, ...]]:
    """Yield every row of a checked workbook's data sheet (:func:`open_sheet`) as plain values."""
    with open_sheet(data, sheet_names, messages=messages, formulas_as_text=formulas_as_text) as ws:
        for values in guarded(ws.iter_rows(values_only=True), messages):
            yield tuple(map(plain, values))


def csv_rows(data: bytes, messages: Messages = MESSAGES) -> Iterator[tuple[str, ...]]:
    """Yield the rows of CSV text (comma or tab separated, UTF-8 with or without BOM, GB18030)."""
    text = _decoded(data, messages)
    first = text.split("\n", 1)[0]
    dialect = "excel-tab" if "\t" in first and "," not in first else "excel"
    try:
        yield from (tuple(r) for r in csv.reader(io.StringIO(text, newline=""), dialect=dialect))
    except csv.Error:
        raise messages.rejected("damaged") from None


def _decoded(data: bytes, messages: Messages) -> str:
    """Return CSV bytes as text: UTF-8 (with or without BOM), else GB18030."""
    bom = data.startswith(b"\xef\xbb\xbf")
    candidates = ("utf-8-sig",) if bom else ("utf-8", "gb18030")
    for codec in candidates:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if _BINARY.search(text):
            raise messages.rejected("not_text")
        return text
    raise messages.rejected("encoding")


def read_table(
    data: bytes,
    sheet_names: Iterable[str],
    *,
    max_bytes: int,
    messages: Messages = MESSAGES,
) -> tuple[Iterator[tuple[Any, ...]], str]:
    """Return the rows of an .xlsx workbook's data sheet or of CSV text, and "xlsx" or "csv".

    Judged by content: a ZIP must be a plain workbook (:func:`check_workbook`, whose
    refusals stand, but for a ZIP that is no workbook at all: "zip"), an old .xls is refused
    as such, anything else must be text. The rows are read as they are iterated.
    """
    if not data:
        raise messages.rejected("empty")
    if len(data) > max_bytes:
        raise messages.rejected("too_large", limit=f"{max_bytes // 2**20} MiB")
    if data.startswith(_OLE_MAGIC):
        raise messages.rejected("xls")
    if data.startswith(_ZIP_MAGIC):
        try:
            check_workbook(data)
        except SheetRejected as exc:
            if exc.code == "not_xlsx":
                raise messages.rejected("zip") from None
            raise
        return sheet_rows(data, sheet_names, messages=messages), "xlsx"
    return csv_rows(data, messages), "csv"


# --- headings --------------------------------------------------------------------------------


def nfkc(value: str) -> str:
    """Return ``value`` NFKC-normalised (full-width digits and letters as ASCII), stripped."""
    return unicodedata.normalize("NFKC", value).strip()


def heading_key(text: Any) -> str:
    """Return a heading as compared: NFKC, no required mark, no spaces, case-folded."""
    return re.sub(r"\s+", "", nfkc(str(text)).rstrip("* ")).casefold()


def match_headings(
    header: Sequence[Any], lookup: Mapping[str, K]
) -> tuple[dict[int, K], dict[int, str]]:
    """Return the columns whose heading ``lookup`` knows, {index: key}, and the others.

    ``lookup`` maps :func:`heading_key` of each name a column may go by (Chinese, English, a
    field's name) to the column's key. Empty cells are no heading; the other headings are
    given {index: heading} as they were written.
    """
    known: dict[int, K] = {}
    unknown: dict[int, str] = {}
    for i, heading in enumerate(header):
        if heading in (None, ""):
            continue
        key = lookup.get(heading_key(heading))
        if key is None:
            unknown[i] = str(heading)
        else:
            known[i] = key
    return known, unknown


def check_unique(
    columns: Mapping[int, Hashable],
    headings: Mapping[int, Any] | Sequence[Any],
    messages: Messages = MESSAGES,
) -> None:
    """Refuse a sheet in which two columns are one ("duplicate_column", the second named).

    ``columns`` maps each column's index to its key, ``headings`` gives what it is headed.
    """
    seen: dict[Hashable, int] = {}
    for i, key in sorted(columns.items()):
        if key in seen:
            raise messages.rejected(
                "duplicate_column",
                heading=str(headings[i]).strip(),
                first=get_column_letter(seen[key] + 1),
                second=get_column_letter(i + 1),
            )
        seen[key] = i


# --- cells -----------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """Return a cell's value as read: formulas as their text, never their (cached) result."""
    if value is None or isinstance(value, str | int | float | bool | date):
        return value
    # openpyxl gives array and data-table formulas as objects; their text is what was typed.
    return getattr(value, "text", None) or str(value)


def cell_text(value: Any) -> str:
    """Return a cell's value as text, as the spreadsheet shows it (a date as 1980-01-31)."""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def read_date(value: Any) -> date | None:
    """Return the date a cell holds: an Excel date, or text as 1980-01-31 or 1980年1月31日."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    match = _DATE.fullmatch(nfkc(cell_text(value)))
    if match:
        try:
            return date(*(int(g) for g in match.groups()))
        except ValueError:
            return None
    return None


def lost_digits(value: Any) -> bool:
    """Return whether Excel stored an 18-character code as a number (beyond a double's digits)."""
    number = isinstance(value, float | int) and not isinstance(value, bool)
    return number and abs(value) >= 10**15


def match_choice(text: str, choices: Iterable[tuple[str, Mapping[str, str]]]) -> str | None:
    """Return the choice whose value or label (in either language) ``text`` is, else None."""
    wanted = nfkc(text).casefold()
    for value, label in choices:
        if wanted in {nfkc(n).casefold() for n in (value, *label.values())}:
            return value
    return None


def not_a_choice(text: str, labels: Iterable[Mapping[str, str]]) -> str:
    """Return the message of a cell that holds none of the choices ``labels`` name."""
    return MESSAGES.text("choice", value=text, choices=listed(pick(dict(x)) for x in labels))


# --- rows and their errors -------------------------------------------------------------------


@dataclass
class SheetRow:
    """One row of a sheet: its number as the spreadsheet shows it, cells, data, errors."""

    #: The row's number as the spreadsheet shows it.
    row: int
    #: The data as the row's parsing cleaned it.
    data: dict[str, Any] = field(default_factory=dict)
    #: Messages by column key, in the language of the request that read the sheet.
    errors: dict[str, list[str]] = field(default_factory=dict)
    #: What each cell held, as text, to show beside its errors.
    cells: dict[str, str] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        """Return whether the row can be imported."""
        return not self.errors

    def add_error(self, key: str, message: str) -> None:
        """Add ``message`` to the errors of column ``key`` (once)."""
        messages = self.errors.setdefault(key, [])
        if message not in messages:
            messages.append(message)


S = TypeVar("S", bound=SheetRow)


def split_valid(rows: Sequence[S], *, accept_valid_only: bool) -> tuple[list[S], list[S]]:
    """Return the valid rows and the invalid ones, when the rows may be imported.

    All rows or none: any invalid row refuses the file (InvalidData, each row's errors by
    column) unless ``accept_valid_only``; a file without a valid row is refused too.
    """
    invalid = [r for r in rows if not r.valid]
    if invalid and not accept_valid_only:
        raise InvalidData(
            f"{len(invalid)} of {len(rows)} rows have errors; nothing was imported",
            fields={
                f"row {r.row}": [f"{key}: {m}" for key, ms in r.errors.items() for m in ms]
                for r in invalid
            },
        )
    valid = [r for r in rows if r.valid]
    if not valid:
        raise InvalidData("no row can be imported")
    return valid, invalid


class HasErrors(Protocol):
    """What :func:`run_in_savepoints` needs of a row: its errors by column."""

    errors: dict[str, list[str]]


E = TypeVar("E", bound=HasErrors)


def run_in_savepoints(
    session: Session,
    rows: Sequence[E],
    apply: Callable[[E], None],
    *,
    commit: bool,
    forget: Callable[[E], None] | None = None,
) -> bool:
    """Run ``apply`` on every row, each in a savepoint; return whether all rows were accepted.

    A row ``apply`` refuses with InvalidData is rolled back alone and gets the refusal's
    fields as its errors, so that a dry run reports every row. All rows run inside one more
    savepoint, rolled back unless ``commit`` and every row was accepted; ``forget(row)`` then
    drops what a rolled-back row was given (a password that no longer exists, say).
    """
    outer = session.begin_nested()
    for row in rows:
        inner = session.begin_nested()
        try:
            apply(row)
            inner.commit()
        except InvalidData as exc:
            inner.rollback()
            row.errors = dict(exc.fields)
    accepted = bool(rows) and all(not r.errors for r in rows)
    if commit and accepted:
        outer.commit()
    else:
        outer.rollback()
        for row in rows:
            if forget is not None:
                forget(row)
    return accepted


# --- keeping an upload between the dry run and the commit ------------------------------------


@dataclass(frozen=True)
class KeptFiles:
    """Uploads kept by their SHA-256 between a dry run and its commit, in a folder of their own.

    The folder is ``folder`` in the upload folder (``UPLOAD_DIR``), outside any web root, or
    ``root`` where a call gives one. A file is kept at most ``max_age`` seconds (each keep
    prunes the older ones) and deleted once imported.
    """

    folder: str
    max_age: int = KEEP_SECONDS

    def root(self, root: Path | None = None) -> Path:
        """Return the folder of the kept files."""
        if root is not None:
            return Path(root)
        if not has_app_context():
            raise RuntimeError(f"{self.folder}: pass root= outside an application context")
        configured = current_app.config.get("UPLOAD_DIR")
        base = Path(configured) if configured else Path(current_app.instance_path) / "uploads"
        return base / self.folder

    def prune(self, *, root: Path | None = None, max_age: int | None = None) -> int:
        """Delete the files kept longer than ``max_age`` seconds; return how many."""
        folder = self.root(root)
        if not folder.is_dir():
            return 0
        age = self.max_age if max_age is None else max_age
        cutoff, removed = time.time() - age, 0
        for path in folder.glob("??/*"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue  # pruned by another worker meanwhile
        return removed

    def keep(self, data: bytes, *, root: Path | None = None) -> str:
        """Store a checked file by its SHA-256 until its commit; return the hash."""
        self.prune(root=root)
        sha256 = hashlib.sha256(data).hexdigest()
        path = self.root(root) / sha256[:2] / sha256
        uploads.write_once(path, data, sha256)
        os.utime(path)  # kept from now on, should the same file have been kept before
        return sha256

    def read(self, sha256: str, *, root: Path | None = None) -> bytes:
        """Return a kept file's bytes, re-hashed; FileNotFoundError once pruned or imported."""
        return uploads.open_stored(sha256, root=self.root(root)).read_bytes()

    def discard(self, sha256: str, *, root: Path | None = None) -> None:
        """Delete a kept file (after its import)."""
        if re.fullmatch(r"[0-9a-f]{64}", sha256 or ""):
            (self.root(root) / sha256[:2] / sha256).unlink(missing_ok=True)


# --- templates -------------------------------------------------------------------------------


class Template:
    """An import template being written: its data sheet, drop-down lists and instructions.

    The lists live on a hidden sheet (:data:`LIST_SHEET`): an inline list is limited to 255
    characters and cannot hold a label with a comma.
    """

    def __init__(self, title: str, language: str) -> None:
        self.book = openpyxl.Workbook()
        #: The data sheet, the first: its headings, then the rows the user fills in.
        self.sheet = self.book.worksheets[0]
        self.sheet.title = title
        self.language = language
        self._lists = self.book.create_sheet(LIST_SHEET)
        self._lists.sheet_state = "hidden"
        self._list_columns = 0

    def heading(self, row: int, column: int, text: str) -> Cell:
        """Write a column's heading: bold, on pale red."""
        cell = self.sheet.cell(row=row, column=column, value=text)
        cell.font, cell.fill = _HEADING_FONT, _HEADING_FILL
        return cell

    def choose_from(self, cells: str, values: Sequence[str]) -> None:
        """Let ``cells`` (as "C2:C501") take only ``values``, from a drop-down list."""
        self._list_columns += 1
        letter = get_column_letter(self._list_columns)
        for i, value in enumerate(values, start=1):
            self._lists.cell(row=i, column=self._list_columns, value=value)
        self.check(
            cells,
            DataValidation(
                type="list",
                formula1=f"'{LIST_SHEET}'!${letter}$1:${letter}${len(values)}",
                allow_blank=True,
                showErrorMessage=True,
                error="请从下拉列表中选择" if self.language == "zh" else "Choose from the list",
            ),
        )

    def check(self, cells: str, validation: DataValidation) -> None:
        """Have Excel check ``cells`` with ``validation`` as they are filled in."""
        self.sheet.add_data_validation(validation)
        validation.add(cells)

    def instructions(
        self,
        title: str,
        notes: Sequence[str],
        table: Sequence[Sequence[Any]],
        widths: Sequence[int],
    ) -> None:
        """Add the instructions sheet after the data sheet: the notes, a table of the columns.

        The first note is the sheet's title; ``table``'s first row heads the table, one more
        row describes each column; ``widths`` are the table's column widths.
        """
        ws = self.book.create_sheet(title, 1)
        for i, note in enumerate(notes, start=1):
            ws.cell(row=i, column=1, value=note).font = Font(bold=i == 1, size=13 if i == 1 else 11)
        top = len(notes) + 2
        head, *rows = table
        for c, value in enumerate(head, start=1):
            ws.cell(row=top, column=c, value=value).font = Font(bold=True)
        for r, values in enumerate(rows, start=top + 1):
            for c, value in enumerate(values, start=1):
                ws.cell(row=r, column=c, value=value).alignment = Alignment(
                    wrap_text=True, vertical="top"
                )
        for c, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(c)].width = width

    def bytes(self) -> bytes:
        """Return the template as an .xlsx file."""
        return workbook_bytes(self.book)


def workbook_bytes(book: openpyxl.Workbook) -> bytes:
    """Return ``book`` as an .xlsx file."""
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- exports ---------------------------------------------------------------------------------


def neutralise(value: Any) -> Any:
    """Return ``value`` safe for a spreadsheet cell: a would-be formula gets a leading quote.

    A text that starts with the quote itself gets one too: :func:`unneutralise` then tells
    the quote an export added from one that was typed, and a round trip changes nothing.
    """
    if isinstance(value, str) and value.startswith((*FORMULA_PREFIXES, QUOTE)):
        return QUOTE + value
    return value


def unneutralise(text: str) -> str:
    """Return a cell's text without the one quote :func:`neutralise` put before it, if any."""
    if text.startswith(QUOTE) and text[1:].startswith((*FORMULA_PREFIXES, QUOTE)):
        return text[1:]
    return text


def neutralised(row: Iterable[Any]) -> list[Any]:
    """Return the cells of ``row``, each neutralised."""
    return [neutralise(cell) for cell in row]


def csv_bytes(rows: Iterable[Sequence[Any]]) -> bytes:
    """Return CSV with a BOM (so that spreadsheets read it as UTF-8)."""
    return "".join(csv_chunks(rows)).encode("utf-8")


def csv_chunks(rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """Yield CSV text (with a BOM, so that spreadsheets read it as UTF-8), a row at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff"
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def xlsx_bytes(rows: Iterable[Sequence[Any]], title: str) -> bytes:
    """Return a workbook of one sheet ``title`` holding the rows, written streaming.

    The cells are written as given, and openpyxl takes a text starting with "=" for a
    formula: an export neutralises its cells first (:func:`neutralised`).
    """
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(title)
    for row in rows:
        sheet.append(list(row))
    return workbook_bytes(book)
