"""The one workbook reader and writer: messages, reading, headings, cells, dry runs, kept files."""

from __future__ import annotations

import csv
import io
import os
import time
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

import openpyxl
import pytest
from sqlalchemy import select

from nomination import spreadsheets
from nomination.errors import InvalidData
from nomination.models import Organisation
from nomination.spreadsheets import (
    MESSAGES,
    KeptFiles,
    Messages,
    SheetRejected,
    SheetRow,
    Template,
    cell_text,
    check_unique,
    heading_key,
    lost_digits,
    match_choice,
    match_headings,
    read_date,
    read_table,
    run_in_savepoints,
    sheet_rows,
    split_valid,
)
from nomination.uploads import StoredFileCorrupt, UploadRejected


class AreaRejected(UploadRejected):
    """An area's own refusals."""


AREA = Messages(
    {"damaged": ("坏了。", "Broken."), "own": ("第 {n} 行", "Row {n}")},
    rejection=AreaRejected,
    base=MESSAGES,
)


def workbook(rows, title="数据", *, hidden_first=False):
    """Return an .xlsx file whose sheet ``title`` holds ``rows``."""
    wb = openpyxl.Workbook()
    ws = wb.worksheets[0]
    if hidden_first:
        ws.title = "隐藏"
        ws.append(["不该读到"])
        ws.sheet_state = "hidden"
        ws = wb.create_sheet(title)
    else:
        ws.title = title
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- messages --------------------------------------------------------------------------------


def test_an_areas_messages_fall_back_on_the_shared_ones():
    assert AREA.pair("own") == ("第 {n} 行", "Row {n}")
    assert AREA.text("own", n=3) == "第 3 行"  # Chinese outside a request
    assert AREA.pair("damaged") == ("坏了。", "Broken.")  # its own wording wins
    assert AREA.pair("empty") == MESSAGES.pair("empty")
    with pytest.raises(KeyError):
        AREA.pair("no such code")
    refused = AREA.rejected("too_large", limit="1 MiB")
    assert isinstance(refused, AreaRejected) and refused.code == "too_large"
    assert refused.message_zh == "文件超过了 1 MiB 的上限。"
    assert refused.message_en == "The file is over the limit of 1 MiB."
    assert isinstance(MESSAGES.rejected("empty"), SheetRejected)


# --- reading ---------------------------------------------------------------------------------


def test_csv_is_read_in_its_encoding_and_dialect():
    text = "姓名\t年份\n张三\t2015\n"
    for data in (text.encode("gb18030"), b"\xef\xbb\xbf" + text.encode()):
        rows, fmt = read_table(data, [], max_bytes=1000)
        assert fmt == "csv" and list(rows) == [("姓名", "年份"), ("张三", "2015")]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"x" * 11, "too_large"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\0\0", "xls"),
        (b"a,b\n\x00\x01", "not_text"),
        ("姓名".encode("utf-16"), "encoding"),
    ],
)
def test_files_that_are_no_table_are_refused_in_the_areas_words(data, code):
    with pytest.raises(AreaRejected) as refused:
        rows, _ = read_table(data, [], max_bytes=10, messages=AREA)
        list(rows)
    assert refused.value.code == code


def test_a_zip_that_is_no_workbook_is_a_zip_and_a_damaged_sheet_is_the_areas_damaged():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("word/document.xml", "<w/>")
    with pytest.raises(AreaRejected) as refused:
        read_table(buffer.getvalue(), [], max_bytes=10**6, messages=AREA)
    assert refused.value.code == "zip"
    with pytest.raises(AreaRejected) as refused:
        list(sheet_rows(b"PK\x03\x04 not really", [], messages=AREA))
    assert refused.value.message_en == "Broken."


def test_the_data_sheet_is_the_named_one_else_the_first_visible():
    data = workbook([["甲", 1]], "名单", hidden_first=True)
    assert list(sheet_rows(data, ["名单"])) == [("甲", 1)]
    assert list(sheet_rows(data, ["另一张"])) == [("甲", 1)]  # the hidden sheet is passed over


def test_a_formula_is_read_as_its_text_unless_cached_values_are_asked_for():
    data = workbook([["=1+1", '=HYPERLINK("x")']])
    assert list(sheet_rows(data, [])) == [("=1+1", '=HYPERLINK("x")')]
    # openpyxl saves no result beside a formula: there is no cached value to read.
    assert list(sheet_rows(data, [], formulas_as_text=False)) == [(None, None)]


# --- headings and cells ----------------------------------------------------------------------


def test_headings_match_in_either_language_whatever_their_spacing_and_mark():
    lookup = {
        heading_key(n): key for key, names in {"name": ("姓名", "Name")}.items() for n in names
    }
    known, unknown = match_headings(["姓 名 *", None, "ＮＡＭＥ", "备注", ""], lookup)
    assert known == {0: "name", 2: "name"} and unknown == {3: "备注"}
    with pytest.raises(SheetRejected) as refused:
        check_unique(known, ["姓 名 *", None, "ＮＡＭＥ "])
    assert refused.value.code == "duplicate_column"
    assert refused.value.message_en == "The heading 'ＮＡＭＥ' appears twice (columns A and C)."
    check_unique({0: "name", 1: "year"}, ["姓名", "年份"])  # no refusal


@pytest.mark.parametrize(
    ("value", "text", "day"),
    [
        (datetime(1980, 1, 31), "1980-01-31", date(1980, 1, 31)),
        (datetime(1980, 1, 31, 8, 30), "1980-01-31 08:30:00", date(1980, 1, 31)),
        (date(1980, 1, 31), "1980-01-31", date(1980, 1, 31)),
        ("1980年1月31日", "1980年1月31日", date(1980, 1, 31)),
        ("１９８０/1/31", "１９８０/1/31", date(1980, 1, 31)),
        ("1980-02-30", "1980-02-30", None),
        (2015.0, "2015", None),
        (True, "TRUE", None),
        (None, "", None),
    ],
)
def test_cells_read_as_people_typed_them(value, text, day):
    assert cell_text(value) == text
    assert read_date(value) == day


def test_a_long_number_stored_by_excel_has_lost_its_digits():
    assert lost_digits(110105197001010033.0) and lost_digits(10**15)
    assert not lost_digits(13910000001) and not lost_digits("110105197001010033")
    assert not lost_digits(True)


def test_a_choice_is_its_value_or_a_label_in_either_language():
    choices = [("male", {"zh": "男", "en": "Male"}), ("female", {"zh": "女", "en": "Female"})]
    assert match_choice(" 女 ", choices) == "female"
    assert match_choice("MALE", choices) == "male"
    assert match_choice("Ｆｅｍａｌｅ", choices) == "female"
    assert match_choice("男性", choices) is None
    assert spreadsheets.not_a_choice("男性", [c[1] for c in choices]) == (
        "“男性”不是可选项;可选:男、女"
    )


# --- dry runs --------------------------------------------------------------------------------


def test_a_row_keeps_each_message_once():
    row = SheetRow(row=2)
    row.add_error("name", "此项必填")
    row.add_error("name", "此项必填")
    assert row.errors == {"name": ["此项必填"]} and not row.valid


def test_rows_with_errors_refuse_the_file_unless_left_out():
    good, bad = SheetRow(row=2), SheetRow(row=3, errors={"year": ["应为整数"]})
    with pytest.raises(InvalidData) as refused:
        split_valid([good, bad], accept_valid_only=False)
    assert refused.value.fields == {"row 3": ["year: 应为整数"]}
    assert split_valid([good, bad], accept_valid_only=True) == ([good], [bad])
    with pytest.raises(InvalidData, match="no row can be imported"):
        split_valid([bad], accept_valid_only=True)


@dataclass
class Line:
    code: str
    errors: dict[str, list[str]] = field(default_factory=dict)
    given: str | None = None


def test_every_row_runs_in_its_own_savepoint_and_the_dry_run_keeps_nothing(session, create_org):
    def apply(line):
        line.given = "secret"
        create_org(line.code, "federation")
        if "BAD" in line.code:
            raise InvalidData("refused", fields={"code": ["不行"]})

    def forget(line):
        line.given = None

    def codes():
        return set(session.scalars(select(Organisation.code).where(Organisation.code.like("S-%"))))

    # A refused row refuses the import: nothing is kept, and nothing rows were given.
    lines = [Line("S-1"), Line("S-BAD"), Line("S-3")]
    accepted = run_in_savepoints(session, lines, apply, commit=True, forget=forget)
    assert not accepted
    assert [line.errors for line in lines] == [{}, {"code": ["不行"]}, {}]
    assert [line.given for line in lines] == [None, None, None]
    assert codes() == set()

    lines = [Line("S-1"), Line("S-2")]
    assert run_in_savepoints(session, lines, apply, commit=False, forget=forget)
    assert codes() == set() and lines[0].given is None  # a dry run

    lines = [Line("S-1"), Line("S-2")]
    assert run_in_savepoints(session, lines, apply, commit=True, forget=forget)
    assert codes() == {"S-1", "S-2"} and lines[0].given == "secret"
    assert not run_in_savepoints(session, [], apply, commit=True)  # no row is no import


def test_a_refused_row_leaves_nothing_for_the_next_one(session, create_org):
    def apply(line):
        create_org("S-SAME", "federation")
        if line.code == "first":
            raise InvalidData("refused", fields={"code": ["不行"]})

    lines = [Line("first"), Line("second")]
    assert not run_in_savepoints(session, lines, apply, commit=False)
    assert lines[1].errors == {}  # the first row's organisation did not stand in its way


# --- kept files ------------------------------------------------------------------------------


def test_a_kept_file_is_read_back_until_discarded_or_pruned(tmp_path, app, monkeypatch):
    kept = KeptFiles("tests", max_age=60)
    sha256 = kept.keep(b"sheet", root=tmp_path)
    assert kept.read(sha256, root=tmp_path) == b"sheet"
    (tmp_path / sha256[:2] / sha256).write_bytes(b"changed")
    with pytest.raises(StoredFileCorrupt):
        kept.read(sha256, root=tmp_path)
    kept.discard(sha256, root=tmp_path)
    kept.discard("../../etc/passwd", root=tmp_path)  # not a hash: nothing happens
    with pytest.raises(FileNotFoundError):
        kept.read(sha256, root=tmp_path)

    old = kept.keep(b"old", root=tmp_path)
    an_hour_ago = time.time() - 3600
    os.utime(tmp_path / old[:2] / old, (an_hour_ago, an_hour_ago))
    new = kept.keep(b"new", root=tmp_path)  # prunes the old one on the way
    assert not (tmp_path / old[:2] / old).exists()
    assert kept.read(new, root=tmp_path) == b"new"
    assert kept.prune(root=tmp_path, max_age=-1) == 1

    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path))
    with app.app_context():
        assert kept.root() == tmp_path / "tests"


def test_a_kept_file_needs_a_folder_outside_an_application():
    with pytest.raises(RuntimeError, match="tests: pass root="):
        KeptFiles("tests").keep(b"x")


# --- writing ---------------------------------------------------------------------------------


def test_a_template_keeps_its_lists_on_a_hidden_sheet_and_explains_itself():
    book = Template("名单", "en")
    book.heading(1, 1, "Gender *")
    book.choose_from("A2:A10", ["Male", "Female"])
    book.choose_from("B2:B10", ["Yes", "No", "Unknown"])
    book.instructions("Instructions", ["How to", "Fill it in"], [("Column",), ("Gender",)], [16])
    wb = openpyxl.load_workbook(io.BytesIO(book.bytes()))
    assert wb.sheetnames == ["名单", "Instructions", spreadsheets.LIST_SHEET]
    lists = wb[spreadsheets.LIST_SHEET]
    assert lists.sheet_state == "hidden"
    assert [[c.value for c in row] for row in lists.iter_rows()] == [
        ["Male", "Yes"],
        ["Female", "No"],
        [None, "Unknown"],
    ]
    ws = wb["名单"]
    assert ws["A1"].font.b and ws["A1"].fill.fgColor.rgb.endswith("FDE9E7")
    checks = {str(v.sqref): v for v in ws.data_validations.dataValidation}
    assert checks["A2:A10"].formula1 == f"'{spreadsheets.LIST_SHEET}'!$A$1:$A$2"
    assert checks["B2:B10"].formula1 == f"'{spreadsheets.LIST_SHEET}'!$B$1:$B$3"
    assert checks["A2:A10"].error == "Choose from the list"
    notes = wb["Instructions"]
    assert [notes["A1"].value, notes["A2"].value, notes["A4"].value, notes["A5"].value] == [
        "How to",
        "Fill it in",
        "Column",
        "Gender",
    ]
    assert notes["A1"].font.b and notes["A4"].font.b and notes.column_dimensions["A"].width == 16


def test_an_export_neutralises_would_be_formulas_in_csv_and_xlsx():
    rows = [spreadsheets.neutralised(["=1+1", "+86139", "-1", "@SUM(A1)", "\tx", "张三", 42])]
    assert rows == [["'=1+1", "'+86139", "'-1", "'@SUM(A1)", "'\tx", "张三", 42]]
    data = spreadsheets.csv_bytes(rows)
    assert data.startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(data.decode("utf-8-sig")))) == [
        ["'=1+1", "'+86139", "'-1", "'@SUM(A1)", "'\tx", "张三", "42"]
    ]
    ws = openpyxl.load_workbook(io.BytesIO(spreadsheets.xlsx_bytes(rows, "导出"))).active
    assert ws.title == "导出"
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    assert ws["A1"].value == "'=1+1" and ws["G1"].value == 42


@pytest.mark.parametrize(
    "text",
    ["=1+1", "+86139", "-1", "@SUM(A1)", "'", "'引号开头", "''", "'=1", "张三", "", "a'b", "'x'"],
)
def test_an_import_takes_away_exactly_the_quote_an_export_added(text):
    exported = spreadsheets.neutralise(text)
    assert spreadsheets.unneutralise(exported) == text
    # Exported again, the value reads the same: no quote piles up.
    assert spreadsheets.neutralise(spreadsheets.unneutralise(exported)) == exported
    assert not exported.startswith(spreadsheets.FORMULA_PREFIXES)
