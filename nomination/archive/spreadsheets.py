"""Importing an existing archive from Excel or CSV, and exporting what a search found.

Many federations keep their honoured workers in a spreadsheet. The federation's managers
download the template (:func:`template`: 姓名, 身份证号, … one honour per row, a person on as
many rows as they hold honours), upload the file, and :func:`read` checks it by its content
(a plain .xlsx workbook, or CSV text in UTF-8, with or without BOM, or GB18030) and reads
every row; :func:`check` reports each row's problems: an ID number whose check digit, date or
form is wrong, an unknown title, level, type or status, a date that is not one, a person
given twice with different data, an honour given twice, or already in the archive. Nothing
is written until :func:`commit`: all rows, or only the valid ones when the user accepted that.
Each person is found or created by ID number (``archive.find_or_create_person``, audited),
a new one gets its first status (``archive.report_status``, audited), each honour is added
and audited, and one ``archive.import`` event records the import without personal data.

The file is kept between the dry run and the commit by its SHA-256, outside any web root,
like a sheet of nominations (``nomination.spreadsheets.KeptFiles``), and deleted once imported.

:func:`export_rows` writes the people a search found, one honour per row in the template's
columns (so an export can be imported elsewhere), every cell neutralised against formula
injection, ID numbers and phones masked unless the reader may take them out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import phonenumbers
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from stdnum.cn import ric

from nomination import engine, spreadsheets, uploads
from nomination.archive.people import (
    find_or_create_person,
    level_of_title,
    mask_id_number,
    mask_phone,
    normalise_id_number,
    report_status,
)
from nomination.archive.search import LEVEL_LABELS, STATUS_LABELS, TYPE_LABELS, Filters, matching
from nomination.audit.chain import Entity, organisation_entity, record_event
from nomination.db import local_date, local_today, utcnow
from nomination.errors import InvalidData, PermissionDenied
from nomination.i18n import pick
from nomination.labels import GENDER_LABELS, HONOUR_STATUS_LABELS
from nomination.models import ArchivePerson, Campaign, CampaignAward, HonourRecord, Organisation
from nomination.permissions import can_manage_archive
from nomination.spreadsheets import (
    KeptFiles,
    Messages,
    SheetRow,
    Template,
    cell_text,
    check_unique,
    heading_key,
    listed,
    lost_digits,
    match_choice,
    match_headings,
    neutralised,
    nfkc,
    not_a_choice,
    read_date,
    read_table,
    split_valid,
    unneutralise,
)

#: At most this many rows in one file: each row writes and audits a person, a status and an
#: honour, and 2,000 rows take about 11 s on SQLite, within one request's time. A larger
#: archive is imported in several files.
MAX_ROWS = 2000
#: A file larger than this is refused before it is read.
MAX_BYTES = 10 * 1024 * 1024
#: The data sheet of the template, in each language.
DATA_SHEET = {"zh": "劳模档案", "en": "Archive"}
HELP_SHEET = {"zh": "说明", "en": "Instructions"}
LIST_SHEET = spreadsheets.LIST_SHEET
XLSX_TYPE = spreadsheets.XLSX_TYPE
#: A kept file is deleted this long after its dry run at the latest.
KEEP_SECONDS = spreadsheets.KEEP_SECONDS
#: Files kept between their dry run and their commit: ``archive-imports`` in the upload folder.
_KEPT = KeptFiles("archive-imports")


@dataclass(frozen=True)
class Column:
    """A column of the template: its key, heading in each language, and maximum length."""

    key: str
    zh: str
    en: str
    required: bool = False
    max_length: int | None = None

    def heading(self, language: str) -> str:
        """Return the heading as the template writes it (a required column ends with *)."""
        text = self.zh if language == "zh" else self.en
        return text + (" *" if self.required else "")


#: The columns, in the template's order.
COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", "Name", True, 100),
    Column("id_number", "身份证号", "ID number", True),
    Column("gender", "性别", "Gender"),
    Column("birth_date", "出生日期", "Date of birth"),
    Column("ethnicity", "民族", "Ethnicity", max_length=32),
    Column("unit", "工作单位", "Unit", max_length=200),
    Column("post", "职务", "Post", max_length=200),
    Column("sector", "行业", "Sector", max_length=100),
    Column("title", "称号", "Title", True, 200),
    Column("level", "级别", "Level"),
    Column("honour_type", "类型", "Type"),
    Column("year", "年份", "Year", True),
    Column("conferred_by", "授予机关", "Conferred by", max_length=200),
    Column("decision_number", "决定文号", "Decision number", max_length=64),
    Column("decision_date", "决定日期", "Decision date", True),
    Column("status", "状态", "Status"),
    Column("phone", "联系电话", "Phone", max_length=32),
)
_BY_KEY = {c.key: c for c in COLUMNS}
#: The person's own columns: one person on several rows must give the same values in each.
PERSON_KEYS = (
    "name",
    "gender",
    "birth_date",
    "ethnicity",
    "unit",
    "post",
    "sector",
    "status",
    "phone",
)
#: The types a person's honour may have (certificates and pioneer titles go to units, teams).
PERSON_TYPES = ("medal", "model_worker")

#: Titles every federation knows, with their level and type; district titles are named after
#: the federation's district (:func:`known_titles`).
KNOWN_TITLES: dict[str, tuple[str, str]] = {
    "全国劳动模范": ("national", "model_worker"),
    "全国先进工作者": ("national", "model_worker"),
    "全国五一劳动奖章": ("national", "medal"),
    "北京市劳动模范": ("capital", "model_worker"),
    "北京市先进工作者": ("capital", "model_worker"),
    "首都劳动奖章": ("capital", "medal"),
}
DISTRICT_TITLES = ("劳动模范", "先进工作者", "五一劳动奖章")


class FileRejected(uploads.UploadRejected):
    """A refused file: not a workbook or CSV text, or not laid out like the template."""


#: code → (Chinese, English), filled in with str.format. The messages of reading a file and
#: of its cells' dates, choices and numbers are the shared ones (``nomination.spreadsheets``).
_MESSAGES = Messages(
    {
        "damaged": ("文件已损坏,无法读取。", "The file is damaged and cannot be read."),
        "no_header": (
            "第一行应为栏目名称(姓名、身份证号……),请使用导入模板。",
            "The first row must hold the headings (Name, ID number, ...); use the template.",
        ),
        "missing_columns": (
            "缺少必填栏目:{columns}。",
            "Required columns are missing: {columns}.",
        ),
        "duplicate_column": (
            "栏目“{heading}”出现了两次。",
            "The heading '{heading}' appears twice.",
        ),
        "no_rows": ("文件中没有填写任何记录。", "The file holds no rows."),
        "too_many_rows": (
            "文件超过了 {limit} 行,请分成几个文件导入。",
            "The file has more than {limit} rows; split it into several files.",
        ),
        # Errors of one cell.
        "required": ("此项必填", "This field is required"),
        "too_long": ("不能超过 {limit} 字", "At most {limit} characters"),
        "id_number": (
            "身份证号码无效(校验位、出生日期或格式有误)",
            "Not a valid resident ID number (check digit, date or form)",
        ),
        "future": ("不能晚于今天", "Must not be after today"),
        "year": ("应为 {low} 到 {high} 之间的年份", "Enter a year from {low} to {high}"),
        "unknown_title": (
            "“{value}”不是已知的称号;请从模板“称号”列的下拉列表中选择",
            "'{value}' is not a known title; choose one from the template's list",
        ),
        "title_level": (
            "与称号“{title}”的级别({level})不符",
            "Does not match the level of '{title}' ({level})",
        ),
        "title_type": (
            "与称号“{title}”的类型({kind})不符",
            "Does not match the type of '{title}' ({kind})",
        ),
        "person_type": (
            "个人档案只导入奖章和劳动模范称号;奖状和工人先锋号属于单位和集体",
            "A person holds medals and model-worker titles; certificates and pioneer titles "
            "belong to units and teams",
        ),
        "phone": ("电话号码无效", "Invalid phone number"),
        "gender_id": ("与身份证号码中的性别不符", "Does not match the gender in the ID number"),
        "birth_id": (
            "与身份证号码中的出生日期({birth})不符",
            "Does not match the date of birth in the ID number ({birth})",
        ),
        "conflict": (
            "同一身份证号的第 {rows} 行此项填写不同;同一人的个人信息应在各行一致",
            "Rows {rows} give the same ID number with a different value here; a person's own "
            "data must be the same on each of their rows",
        ),
        "same_honour": (
            "与第 {rows} 行是同一人的同一荣誉(称号、年份、决定文号相同)",
            "The same honour of the same person as row {rows} (title, year and decision number)",
        ),
        "in_archive": (
            "档案中已有此人的这项荣誉(称号、年份、决定文号相同)",
            "The archive already holds this honour of this person (title, year, decision number)",
        ),
        "other_name": (
            "档案中此身份证号的姓名是“{name}”,与本行不符",
            "The archive holds this ID number under the name '{name}'",
        ),
    },
    rejection=FileRejected,
    base=spreadsheets.MESSAGES,
)
_text = _MESSAGES.text
_rejected = _MESSAGES.rejected


# --- titles ----------------------------------------------------------------------------------


def known_titles(session: Session, federation: Organisation) -> dict[str, tuple[str, str | None]]:
    """Return the titles a person may hold in ``federation``'s archive: {title: (level, type)}.

    The national and capital titles, the district's own (named after the federation: 朝阳区
    劳动模范), the individual awards of the federation's campaigns, and every title its
    archive holds already.
    """
    titles: dict[str, tuple[str, str | None]] = dict(KNOWN_TITLES)
    district = federation.name.removesuffix("总工会")
    if district and district != federation.name:
        for suffix in DISTRICT_TITLES:
            titles[district + suffix] = ("district", _type_of(suffix))
    awards = session.scalars(
        select(CampaignAward.title)
        .join(Campaign, CampaignAward.campaign_id == Campaign.id)
        .where(
            Campaign.federation_id == federation.id,
            CampaignAward.kind.in_(engine.award_kinds("person")),
        )
        .distinct()
    )
    for title in awards:
        titles.setdefault(title, (level_of_title(title), _type_of(title)))
    held = session.execute(
        select(HonourRecord.title, HonourRecord.level, HonourRecord.honour_type)
        .join(ArchivePerson, HonourRecord.person_id == ArchivePerson.id)
        .where(ArchivePerson.federation_id == federation.id)
        .distinct()
    )
    for title, level, kind in held:
        titles.setdefault(title, (level or level_of_title(title), kind))
    return titles


def _type_of(title: str) -> str | None:
    """Return the honour type a title names: 奖章 a medal, 劳动模范/先进工作者 a title."""
    if "奖章" in title:
        return "medal"
    if "劳动模范" in title or "先进工作者" in title:
        return "model_worker"
    return None


# --- the template ----------------------------------------------------------------------------


def _choices(labels: dict[str, dict[str, str]], language: str, keys: Sequence[str]) -> list[str]:
    return [pick(labels[k], language) for k in keys]


def template(titles: Sequence[str], language: str = "zh") -> bytes:
    """Return the .xlsx template: the headings, drop-down lists, and an instructions sheet."""
    book = Template(DATA_SHEET[language], language)
    ws = book.sheet
    options = {
        "gender": _choices(GENDER_LABELS, language, ("male", "female")),
        "title": list(titles),
        "level": _choices(LEVEL_LABELS, language, tuple(LEVEL_LABELS)),
        "honour_type": _choices(TYPE_LABELS, language, PERSON_TYPES),
        "status": _choices(STATUS_LABELS, language, tuple(STATUS_LABELS)),
    }
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        book.heading(1, index, column.heading(language))
        ws.column_dimensions[letter].width = {"id_number": 22, "title": 20, "unit": 24}.get(
            column.key, 13
        )
        if column.key in ("birth_date", "decision_date"):
            ws.column_dimensions[letter].number_format = "yyyy-mm-dd"
        elif column.key != "year":
            # Text, so that Excel keeps an ID number's 18 digits and a phone's leading zero.
            ws.column_dimensions[letter].number_format = "@"
        values = options.get(column.key)
        if values:
            book.choose_from(f"{letter}2:{letter}{MAX_ROWS + 1}", values)
    ws.freeze_panes = "A2"
    _instructions(book, language)
    return book.bytes()


def _instructions(book: Template, language: str) -> None:
    zh = language == "zh"
    notes = (
        [
            "劳模档案批量导入说明",
            f"在“{DATA_SHEET['zh']}”表中从第 2 行起每行填写一项荣誉;同一人有几项荣誉就填几行,"
            f"各行的个人信息(姓名、性别、单位、状态等)应一致。最多 {MAX_ROWS} 行;标 * 的栏目必填。",
            "身份证号码须为 18 位并通过校验;性别、出生日期可不填,由身份证号码得出。",
            "级别、类型可不填,由称号得出;状态不填时为“在职”。日期可填 Excel 日期或 1980-01-31。",
            "也可上传 CSV 文件(UTF-8 或 GB18030 编码),第一行为同样的栏目名称。",
            "上传后系统逐行检查并列出问题,确认后才会写入档案。",
        ]
        if zh
        else [
            "Importing an archive of honoured workers",
            f"On the sheet '{DATA_SHEET['en']}', enter one honour per row from row 2; a person "
            "with several honours takes several rows, each with the same personal data. At most "
            f"{MAX_ROWS} rows; columns marked * are required.",
            "ID numbers have 18 characters and must pass the check; gender and date of birth may "
            "be left empty: they are read from the ID number.",
            "Level and type may be left empty: they follow from the title; an empty status is "
            "'In service'. Dates may be Excel dates or 1980-01-31.",
            "A CSV file (UTF-8 or GB18030) with the same headings in its first row is accepted.",
            "After the upload every row is checked and its problems listed; nothing is written "
            "to the archive until you confirm.",
        ]
    )
    sep = "、" if zh else ", "
    choices = {
        "gender": sep.join(_choices(GENDER_LABELS, language, ("male", "female"))),
        "level": sep.join(_choices(LEVEL_LABELS, language, tuple(LEVEL_LABELS))),
        "honour_type": sep.join(_choices(TYPE_LABELS, language, PERSON_TYPES)),
        "status": sep.join(_choices(STATUS_LABELS, language, tuple(STATUS_LABELS))),
    }
    table: list[Sequence[str]] = [
        ("栏目", "必填", "可选值") if zh else ("Column", "Required", "Choices")
    ]
    for column in COLUMNS:
        table.append(
            (
                column.zh if zh else column.en,
                ("是" if zh else "Yes") if column.required else ("否" if zh else "No"),
                choices.get(column.key, ""),
            )
        )
    book.instructions(HELP_SHEET[language], notes, table, (16, 8, 60))


# --- reading the file ------------------------------------------------------------------------


@dataclass
class ArchiveRow(SheetRow):
    """One row of the file: its number, the cells as text, clean data, errors by column.

    The first data row is 2.
    """

    #: Things worth knowing that are not errors (an existing person whose record is extended).
    notes: list[str] = field(default_factory=list)


@dataclass
class ParsedFile:
    """What :func:`read` found: the rows, the file's format, headings it did not know."""

    rows: list[ArchiveRow]
    format: str
    ignored: list[str]


_HEADINGS = {heading_key(name): c.key for c in COLUMNS for name in (c.zh, c.en, c.key)} | {
    heading_key(alias): key for alias, key in (("身份证号码", "id_number"), ("单位", "unit"))
}


def read(data: bytes, *, max_rows: int = MAX_ROWS) -> ParsedFile:
    """Read a workbook or CSV file laid out like the template; raise FileRejected for the file.

    Judged by content (``spreadsheets.read_table``): a ZIP must be a plain .xlsx workbook, an
    old .xls is refused by name, anything else must be text. Each row is converted and
    checked on its own (:func:`_read_row`); :func:`check` adds what needs the other rows.
    """
    rows, fmt = read_table(data, DATA_SHEET.values(), max_bytes=MAX_BYTES, messages=_MESSAGES)
    header = next(rows, None)
    if header is None:
        raise _rejected("no_rows")
    by_index, unknown = match_headings(header, _HEADINGS)
    check_unique(by_index, header, _MESSAGES)
    if not by_index:
        raise _rejected("no_header")
    missing = [c for c in COLUMNS if c.required and c.key not in by_index.values()]
    if missing:
        names = listed(pick({"zh": c.zh, "en": c.en}) for c in missing)
        raise _rejected("missing_columns", columns=names)
    results: list[ArchiveRow] = []
    for number, values in enumerate(rows, start=2):
        cells = {key: values[i] for i, key in by_index.items() if i < len(values)}
        if not any(cell_text(v).strip() for v in cells.values()):
            continue
        if len(results) >= max_rows:
            raise _rejected("too_many_rows", limit=max_rows)
        results.append(_read_row(number, cells))
    if not results:
        raise _rejected("no_rows")
    return ParsedFile(results, fmt, [heading.strip() for heading in unknown.values()])


#: Other ways the file may name a status or a gender.
_STATUS_ALIASES = {"出国": "abroad", "出境": "abroad", "出国/境": "abroad", "死亡": "deceased"}
_STATUS_ALIASES |= {"逝世": "deceased", "离世": "deceased", "离休": "retired"}
_GENDER_ALIASES = {"m": "male", "f": "female", "男性": "male", "女性": "female"}


def _read_row(number: int, raw: dict[str, Any]) -> ArchiveRow:
    """Convert and check one row on its own."""
    row = ArchiveRow(row=number)
    for key, value in raw.items():
        # A file exported from an archive has its would-be formulas quoted: take that away.
        row.cells[key] = unneutralise(cell_text(value).strip())
    cells = {k: nfkc(v) for k, v in row.cells.items()}
    data = row.data
    for column in COLUMNS:
        text = cells.get(column.key, "")
        if column.required and not text:
            row.add_error(column.key, _text("required"))
        elif column.max_length is not None and len(text) > column.max_length:
            row.add_error(column.key, _text("too_long", limit=column.max_length))
    for key in ("name", "ethnicity", "unit", "post", "sector", "conferred_by", "decision_number"):
        data[key] = cells.get(key, "")

    # The ID number, and what it says about gender and birth.
    born: date | None = None
    male: bool | None = None
    value = raw.get("id_number")
    if lost_digits(value):
        row.add_error("id_number", _text("number_id"))
    elif cells.get("id_number"):
        try:
            data["id_number"] = normalise_id_number(cells["id_number"])
        except InvalidData:
            row.add_error("id_number", _text("id_number"))
        else:
            born = ric.get_birth_date(data["id_number"])
            male = int(data["id_number"][16]) % 2 == 1
            row.cells["id_number"] = data["id_number"]
    if cells.get("gender"):
        gender = _GENDER_ALIASES.get(cells["gender"].casefold()) or match_choice(
            cells["gender"], GENDER_LABELS.items()
        )
        if gender is None:
            row.add_error("gender", not_a_choice(cells["gender"], GENDER_LABELS.values()))
        elif male is not None and (gender == "male") != male:
            row.add_error("gender", _text("gender_id"))
        data["gender"] = gender
    elif male is not None:
        data["gender"] = "male" if male else "female"
    if cells.get("birth_date"):
        birth = read_date(raw.get("birth_date"))
        if birth is None:
            row.add_error("birth_date", _text("date"))
        elif born is not None and birth != born:
            row.add_error("birth_date", _text("birth_id", birth=born.isoformat()))
        data["birth_date"] = birth
    else:
        data["birth_date"] = born

    # The honour.
    today = local_today()
    if cells.get("year"):
        try:
            year = int(float(cells["year"].replace(",", "")))
        except ValueError:
            year = 0
        if not 1950 <= year <= today.year + 1:
            row.add_error("year", _text("year", low=1950, high=today.year + 1))
        data["year"] = year
    if cells.get("decision_date"):
        decided = read_date(raw.get("decision_date"))
        if decided is None:
            row.add_error("decision_date", _text("date"))
        elif decided > today:
            row.add_error("decision_date", _text("future"))
        data["decision_date"] = decided
    for key, labels in (
        ("level", LEVEL_LABELS),
        ("honour_type", TYPE_LABELS),
        ("status", STATUS_LABELS),
    ):
        text = cells.get(key, "")
        if not text:
            data[key] = None
            continue
        found = match_choice(text, labels.items())
        if key == "status" and found is None:
            found = _STATUS_ALIASES.get(text)
        if found is None:
            row.add_error(key, not_a_choice(text, labels.values()))
        elif key == "honour_type" and found not in PERSON_TYPES:
            row.add_error(key, _text("person_type"))
        data[key] = found
    data["status"] = data["status"] or "in_service"
    data["title"] = cells.get("title", "")
    if cells.get("phone"):
        try:
            parsed = phonenumbers.parse(cells["phone"], "CN")
        except phonenumbers.NumberParseException:
            parsed = None
        if parsed is None or not phonenumbers.is_valid_number(parsed):
            row.add_error("phone", _text("phone"))
        else:
            data["phone"] = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    else:
        data["phone"] = None
    return row


# --- checking the rows together, and against the archive -------------------------------------


def _chunks(items: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def check(session: Session, federation: Organisation, parsed: ParsedFile) -> list[ArchiveRow]:
    """Add the problems that need the other rows or the archive: titles, duplicates, existing.

    Returns the rows, each with all its errors (and notes, such as a person already in the
    archive whose record the row extends).
    """
    rows = parsed.rows
    titles = known_titles(session, federation)
    for r in rows:
        _check_title(r, titles)
    by_person: dict[str, list[ArchiveRow]] = defaultdict(list)
    for r in rows:
        if r.data.get("id_number"):
            by_person[r.data["id_number"]].append(r)
    for same in by_person.values():
        _check_conflicts(same)
        _check_same_honours(same)
    _check_archive(session, federation, by_person)
    return rows


def _check_title(row: ArchiveRow, titles: dict[str, tuple[str, str | None]]) -> None:
    title = row.data.get("title")
    if not title:
        return
    if title not in titles:
        row.add_error("title", _text("unknown_title", value=title))
        return
    level, kind = titles[title]
    given_level, given_kind = row.data.get("level"), row.data.get("honour_type")
    if given_level and level and given_level != level:
        row.add_error("level", _text("title_level", title=title, level=pick(LEVEL_LABELS[level])))
    if given_kind and kind and given_kind != kind:
        row.add_error("honour_type", _text("title_type", title=title, kind=pick(TYPE_LABELS[kind])))
    row.data["level"] = given_level or level
    # A title that names no type is an award of a campaign: a medal, as approval records it.
    row.data["honour_type"] = given_kind or kind or "medal"


def _check_conflicts(same: list[ArchiveRow]) -> None:
    """Mark each column in which the rows of one person give different values."""
    if len(same) < 2:
        return
    for key in PERSON_KEYS:
        # Compared as read (男 and male are one gender); an empty cell says nothing.
        values = {_given(r, key) for r in same} - {None}
        if len(values) < 2:
            continue
        for r in same:
            others = listed(str(o.row) for o in same if o is not r)
            r.add_error(key, _text("conflict", rows=others))


def _given(row: ArchiveRow, key: str) -> Any:
    """Return the row's value of ``key`` if its cell was filled in, else None."""
    return row.data.get(key) if row.cells.get(key) else None


def _honour_key(row: ArchiveRow) -> tuple[str, int, str]:
    return (row.data.get("title", ""), row.data.get("year", 0), row.data.get("decision_number", ""))


def _check_same_honours(same: list[ArchiveRow]) -> None:
    by_honour: dict[tuple[str, int, str], list[ArchiveRow]] = defaultdict(list)
    for r in same:
        by_honour[_honour_key(r)].append(r)
    for twins in by_honour.values():
        if len(twins) < 2:
            continue
        for r in twins:
            others = listed(str(o.row) for o in twins if o is not r)
            r.add_error("title", _text("same_honour", rows=others))


def _check_archive(
    session: Session, federation: Organisation, by_person: dict[str, list[ArchiveRow]]
) -> None:
    """Mark rows naming an honour the archive holds, or an ID number held under another name."""
    people = existing_people(session, federation, list(by_person))
    held: set[tuple[int | None, str, int, str]] = set()
    for chunk in _chunks([p.id for p in people.values()]):
        held |= {
            (h.person_id, h.title, h.year, h.decision_number)
            for h in session.scalars(select(HonourRecord).where(HonourRecord.person_id.in_(chunk)))
        }
    for id_number, rows in by_person.items():
        person = people.get(id_number)
        if person is None:
            continue
        for r in rows:
            if r.data.get("name") and nfkc(r.data["name"]) != nfkc(person.name):
                r.add_error("name", _text("other_name", name=person.name))
            if (person.id, *_honour_key(r)) in held:
                r.add_error("title", _text("in_archive"))
            r.notes.append(
                pick(
                    {
                        "zh": f"档案中已有此人(档案号 {person.id}),将在其记录中增加荣誉",
                        "en": f"In the archive already (record {person.id}): the honour is added",
                    }
                )
            )


def existing_people(
    session: Session, federation: Organisation, id_numbers: Sequence[str]
) -> dict[str, ArchivePerson]:
    """Return the archive's people with these ID numbers (after merges), by ID number."""
    found: dict[str, ArchivePerson] = {}
    for chunk in _chunks(list(id_numbers)):
        for person in session.scalars(
            select(ArchivePerson).where(
                ArchivePerson.federation_id == federation.id, ArchivePerson.id_number.in_(chunk)
            )
        ):
            current = person
            while current.merged_into_id is not None:
                current = session.get_one(ArchivePerson, current.merged_into_id)
            found[person.id_number] = current
    return found


# --- the import ------------------------------------------------------------------------------


@dataclass
class ImportResult:
    """What an import wrote: people created, people extended, honours added, rows left out."""

    created: list[int]
    extended: list[int]
    honours: list[int]
    left_out: list[int]


def _units_by_name(session: Session, federation: Organisation) -> dict[str, int | None]:
    """Return the federation's units by name; None for a name two units share."""
    out: dict[str, int | None] = {}
    for org in session.scalars(
        select(Organisation).where(
            Organisation.kind == "unit", Organisation.path.startswith(federation.path)
        )
    ):
        out[org.name] = None if org.name in out else org.id
    return out


def commit(
    session: Session,
    *,
    actor: Any,
    federation: Organisation,
    rows: Sequence[ArchiveRow],
    accept_valid_only: bool,
    file_sha256: str | None = None,
    now: datetime | None = None,
) -> ImportResult:
    """Write the rows of a checked file into ``federation``'s archive, in the caller's transaction.

    All rows or none: any invalid row refuses the file (InvalidData, nothing written) unless
    ``accept_valid_only``, when the valid rows are written and the others left out. Every
    person created, first status and honour added is audited, and one ``archive.import``
    event records the import itself, without personal data. It only flushes.
    """
    if not can_manage_archive(actor, federation):
        raise PermissionDenied("only the federation's reviewers and administrators import")
    valid, invalid = split_valid(rows, accept_valid_only=accept_valid_only)
    now = now or utcnow()
    units = _units_by_name(session, federation)
    by_person: dict[str, list[ArchiveRow]] = defaultdict(list)
    for r in valid:
        by_person[r.data["id_number"]].append(r)
    result = ImportResult([], [], [], [r.row for r in invalid])
    for id_number, person_rows in by_person.items():
        # What the person's rows give (they agree: conflicts are errors); else what was derived.
        own: dict[str, Any] = {
            k: next(
                (v for r in person_rows if (v := _given(r, k)) is not None),
                person_rows[0].data.get(k),
            )
            for k in PERSON_KEYS
        }
        unit_id = units.get(own["unit"] or "")
        person, created = find_or_create_person(
            session,
            federation,
            id_number=id_number,
            name=own["name"],
            actor=actor,
            now=now,
            gender=own["gender"],
            birth_date=own["birth_date"],
            ethnicity=own["ethnicity"],
            phone=own["phone"],
            unit_id=unit_id,
            unit_name=own["unit"] or "",
            post=own["post"] or "",
            sector=own["sector"] or "",
        )
        if created:
            report_status(
                session,
                person,
                actor,
                status=own["status"] or "in_service",
                effective_date=local_date(now),
                note="导入既有档案 (imported from an existing archive)",
                now=now,
            )
            result.created.append(person.id)
        else:
            result.extended.append(person.id)
        for r in person_rows:
            honour = _add_honour(session, person, r, unit_id, actor=actor, now=now)
            result.honours.append(honour.id)
    record_event(
        session,
        actor,
        "archive.import",
        organisation_entity(federation),
        after={
            "file_sha256": file_sha256,
            "rows": len(rows),
            "people_created": result.created,
            "people_extended": result.extended,
            "honours": result.honours,
            "left_out_rows": result.left_out,
        },
        now=now,
    )
    return result


def _add_honour(
    session: Session,
    person: ArchivePerson,
    row: ArchiveRow,
    unit_id: int | None,
    *,
    actor: Any,
    now: datetime,
) -> HonourRecord:
    """Add one imported honour to ``person`` (no nomination: it predates the system)."""
    data = row.data
    honour = HonourRecord(
        nomination_id=None,
        # An honour of a person that predates the system: the first kind for people.
        kind=engine.award_kinds("person")[0],
        title=data["title"],
        year=data["year"],
        holder_name=person.name,
        unit_id=unit_id,
        conferred_by=data["conferred_by"],
        decision_number=data["decision_number"],
        decision_date=data["decision_date"],
        person=person,
        level=data["level"],
        honour_type=data["honour_type"],
        created_at=now,
    )
    session.add(honour)
    session.flush()
    record_event(
        session,
        actor,
        "archive.honour_import",
        Entity("archive_person", person.id, unit_id),
        after={
            "honour_record_id": honour.id,
            "title": honour.title,
            "year": honour.year,
            "level": honour.level,
            "honour_type": honour.honour_type,
            "decision_number": honour.decision_number,
            "decision_date": honour.decision_date,
        },
        now=now,
    )
    return honour


# --- keeping the file between the dry run and the commit -------------------------------------


def keep_file(data: bytes, *, root: Path | None = None) -> str:
    """Store a checked file by its SHA-256 until its commit; return the hash."""
    return _KEPT.keep(data, root=root)


def kept_file(sha256: str, *, root: Path | None = None) -> bytes:
    """Return a kept file's bytes, re-hashed; FileNotFoundError once pruned or imported."""
    return _KEPT.read(sha256, root=root)


def discard_file(sha256: str, *, root: Path | None = None) -> None:
    """Delete a kept file (after its import)."""
    _KEPT.discard(sha256, root=root)


# --- export ----------------------------------------------------------------------------------

#: Rows written at most in one export.
MAX_EXPORT_PEOPLE = 100_000
#: The columns an export adds after the template's: the record's number, the honour's status.
EXTRA_EXPORT_COLUMNS = (("record", "档案号", "Record no."), ("honour_status", "荣誉状态", "Status"))


def export_header(language: str) -> list[str]:
    """Return the header row of an export: the template's headings, then the extra ones."""
    heads = [c.zh if language == "zh" else c.en for c in COLUMNS]
    return heads + [zh if language == "zh" else en for _, zh, en in EXTRA_EXPORT_COLUMNS]


def export_rows(
    session: Session,
    user: Any,
    filters: Filters,
    *,
    language: str,
    clear: Any,
) -> Iterator[list[Any]]:
    """Yield the header and one row per honour of the people found, every cell neutralised.

    ``clear(person)`` says whether the reader may take the person's ID number and phone out
    of the system; otherwise they are masked (110***********1234, 139****0000).
    """
    yield neutralised(export_header(language))
    found = matching(session, user, filters)
    ids = list(
        session.scalars(
            found.query.with_only_columns(ArchivePerson.id)
            .order_by(*found.order)
            .limit(MAX_EXPORT_PEOPLE)
        )
    )
    for chunk in _chunks(ids):
        people = {
            p.id: p
            for p in session.scalars(
                select(ArchivePerson)
                .where(ArchivePerson.id.in_(chunk))
                .options(selectinload(ArchivePerson.honours), selectinload(ArchivePerson.unit))
            )
        }
        for pid in chunk:
            person = people[pid]
            for row in _person_rows(person, language, clear=bool(clear(person))):
                yield neutralised(row)


def _person_rows(person: ArchivePerson, language: str, *, clear: bool) -> list[list[Any]]:
    own = [
        person.name,
        person.id_number if clear else mask_id_number(person.id_number),
        pick(GENDER_LABELS[person.gender], language) if person.gender in GENDER_LABELS else "",
        person.birth_date.isoformat() if person.birth_date else "",
        person.ethnicity or "",
        person.unit.name if person.unit is not None else person.unit_name or "",
        person.post or "",
        person.sector or "",
    ]
    tail = [
        pick(STATUS_LABELS.get(person.status, person.status), language),
        (person.phone or "") if clear else mask_phone(person.phone),
    ]
    rows = []
    honours: list[HonourRecord | None] = [*person.honours] or [None]
    for h in honours:
        honour = (
            [
                h.title,
                pick(LEVEL_LABELS[h.level], language) if h.level in LEVEL_LABELS else "",
                pick(TYPE_LABELS[h.honour_type], language) if h.honour_type in TYPE_LABELS else "",
                h.year,
                h.conferred_by or "",
                h.decision_number or "",
                h.decision_date.isoformat() if h.decision_date else "",
            ]
            if h is not None
            else [""] * 7
        )
        status = pick(HONOUR_STATUS_LABELS.get(h.status, h.status), language) if h else ""
        rows.append([*own, *honour, *tail, person.id, status])
    return rows


def csv_bytes(rows: Iterable[list[Any]]) -> bytes:
    """Return CSV with a BOM (so that spreadsheets read it as UTF-8)."""
    return spreadsheets.csv_bytes(rows)


def xlsx_bytes(rows: Iterable[list[Any]], language: str) -> bytes:
    """Return an Excel workbook of the (neutralised) rows: values only, text as text."""
    return spreadsheets.xlsx_bytes(rows, DATA_SHEET[language])
