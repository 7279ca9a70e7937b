"""Batch import from Excel: the template, the dry run, the commit, and hostile or wrong sheets."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select
from stdnum.cn import ric

from nomination import engine
from nomination.errors import InvalidData, PermissionDenied
from nomination.models import AuditEvent, Nomination
from nomination.nominations import imports
from nomination.nominations.imports import SheetRejected

from factories import person_data
from test_web_support import login

#: The fixtures (web_client, new_web_client, web) are shared by the web tests.
pytest_plugins = ["test_web_support"]
pytestmark = pytest.mark.usefixtures("web")

FORMULA = '=HYPERLINK("http://evil.example/","点击查看")'


def resident_id(birth: str, female: bool = False, serial: int = 0) -> str:
    """Return a valid resident ID number for someone born in Chaoyang on ``birth``."""
    body = "110105" + birth.replace("-", "") + f"{serial * 10 + (2 if female else 3):03d}"
    return body + ric.calc_check_digit(body + "0")  # the digit in place is ignored


def second_person(**overrides):
    """Return valid data for a second nominee, a woman."""
    data = person_data(
        name="李秀英",
        gender="female",
        birth_date="1975-06-15",
        id_number=resident_id("1975-06-15", female=True),
        phone="010-65099999",
        category="technical",
        migrant_worker=True,
        ownership="non_public",
        education="bachelor",
    )
    data.update(overrides)
    return data


def nominee_form(session, web, kind="individual"):
    award = web.campaign.award(kind)
    return engine.workflow_by_hash(session, award.definition_hash).nominee_form


def as_cells(defn, data, english_choices=()):
    """Return nominee data as a person types it into the sheet: labels, 是/否, dates."""
    out = {}
    for fd in defn.fields:
        value = data.get(fd.name)
        if value is None:
            continue
        if fd.type == "choice":
            label = next(label for v, label in fd.choices if v == value)
            value = label["en" if fd.name in english_choices else "zh"]
        elif fd.type == "boolean":
            value = "是" if value else "否"
        out[fd.name] = value
    return out


def fill(template_bytes, rows, *, first=3):
    """Fill ``rows`` (cell values by field name) into the template, from row ``first``."""
    wb = openpyxl.load_workbook(io.BytesIO(template_bytes))
    ws = wb[imports.DATA_SHEET["zh"]]
    columns = {cell.value: cell.column for cell in ws[2] if cell.value}
    for offset, row in enumerate(rows):
        for name, value in row.items():
            ws.cell(row=first + offset, column=columns[name], value=value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def sheet(session, web, rows, **kwargs):
    """Return the individual template filled with nominee data ``rows`` (dicts)."""
    defn = nominee_form(session, web)
    return fill(imports.template(defn), [as_cells(defn, r) for r in rows], **kwargs)


def nomination_count(session):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Nomination))


def upload(client, web, data, *, unit=None, kind="individual", filename="名单.xlsx"):
    return client.post(
        "/imports/new",
        data={
            "award": f"{web.campaign.id}:{kind}",
            "unit_id": str((unit or web.unit1).id),
            "sheet": (io.BytesIO(data), filename),
        },
        content_type="multipart/form-data",
    )


def token_of(page):
    return re.search(r'name="token" type="hidden" value="([^"]+)"', page.text)[1]


def errors_of(page, row):
    """Return {field: message text} shown for sheet row ``row`` on the dry-run page."""
    html = page.text[page.text.index(f'data-row="{row}"') :]
    html = html[: html.index("<details>")]
    return {
        name: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip()
        for name, text in re.findall(r'data-error-for="(\w+)">(.*?)</dd>', html, re.S)
    }


def kept_path(app, sha256):
    return Path(app.config["UPLOAD_DIR"]) / "imports" / sha256[:2] / sha256


# --- the template ----------------------------------------------------------------------------


def test_template_is_laid_out_like_the_form(web_client, web, session):
    login(web_client, "unit1")
    page = web_client.get(
        "/imports/template", query_string={"campaign_id": web.campaign.id, "kind": "individual"}
    )
    assert page.status_code == 200
    assert page.mimetype == imports.XLSX_TYPE
    assert page.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''" in page.headers["Content-Disposition"]
    imports.check_workbook(page.data)  # our own reader accepts it

    defn = nominee_form(session, web)
    wb = openpyxl.load_workbook(io.BytesIO(page.data))
    assert wb.sheetnames[:2] == ["推荐名单", "说明"]
    ws = wb["推荐名单"]
    assert [c.value for c in ws[2]] == [f.name for f in defn.fields]
    assert ws.row_dimensions[2].hidden
    labels = [c.value for c in ws[1]]
    assert labels[0] == "姓名 *" and "职称或技能等级" in labels  # required marked, optional not
    column = {f.name: openpyxl.utils.get_column_letter(i) for i, f in enumerate(defn.fields, 1)}
    assert ws.column_dimensions[column["birth_date"]].number_format == "yyyy-mm-dd"
    assert ws.column_dimensions[column["id_number"]].number_format == "@"
    # A drop-down of the labels for each choice field, from the hidden list sheet.
    lists = wb[imports.LIST_SHEET]
    assert lists.sheet_state == "hidden"
    by_range = {str(dv.sqref).split(":")[0]: dv for dv in ws.data_validations.dataValidation}
    gender = by_range[f"{column['gender']}3"]
    assert gender.type == "list"
    _, cells = gender.formula1.split("!")
    shown = [c.value for row in lists[cells.replace("$", "")] for c in row]
    assert shown == ["男", "女"]
    assert by_range[f"{column['summary']}3"].formula1 == "500"  # the length limit

    help_rows = {r[1]: r for r in wb["说明"].iter_rows(values_only=True) if r and r[1]}
    assert help_rows["性别"][2] == "是" and help_rows["性别"][5] == "男、女"
    assert help_rows["主要事迹摘要"][4] == "不超过 500 字"
    assert help_rows["职称或技能等级"][2] == "否"
    assert help_rows["出生日期"][7] == "birth_date"


def test_template_in_english_and_refused_to_reviewers(web_client, web, session):
    defn = nominee_form(session, web)
    wb = openpyxl.load_workbook(io.BytesIO(imports.template(defn, "en")))
    ws = wb["Nominations"]
    assert ws["A1"].value == "Name *"
    assert "Instructions" in wb.sheetnames
    login(web_client, "committee1")
    query = {"campaign_id": web.campaign.id, "kind": "individual"}
    assert web_client.get("/imports/template", query_string=query).status_code == 403
    assert web_client.get("/imports/new").status_code == 403


# --- the round trip --------------------------------------------------------------------------


def test_template_round_trip_dry_run_then_commit(web_client, web, session, app):
    login(web_client, "unit1")
    dashboard = web_client.get("/")
    assert f'href="/imports/new?campaign_id={web.campaign.id}"' in dashboard.text
    template = web_client.get(
        "/imports/template", query_string={"campaign_id": web.campaign.id, "kind": "individual"}
    ).data
    defn = nominee_form(session, web)
    first = as_cells(defn, person_data())
    first["birth_date"] = date(1949, 12, 31)  # an Excel date
    second = as_cells(defn, second_person(), english_choices=("gender",))  # English label too
    data = fill(template, [first, second])

    before = nomination_count(session)
    page = upload(web_client, web, data)
    assert page.status_code == 200, page.text
    assert 'data-count="total">2<' in page.text
    assert errors_of(page, 3) == errors_of(page, 4) == {}
    assert 'data-count="valid">2<' in page.text
    assert 'data-count="invalid">0<' in page.text
    assert "data-error-for" not in page.text
    assert 'name="accept_valid_only"' not in page.text  # nothing to leave out
    assert nomination_count(session) == before  # the dry run creates nothing

    done = web_client.post("/imports/commit", data={"token": token_of(page)})
    assert done.status_code == 302
    assert nomination_count(session) == before + 2
    created = session.scalars(select(Nomination).order_by(Nomination.id.desc()).limit(2)).all()[
        ::-1
    ]
    assert [n.nominee_name for n in created] == ["张建国", "李秀英"]
    assert all(n.state == "draft" and n.unit_id == web.unit1.id for n in created)
    assert created[0].data["birth_date"] == "1949-12-31"
    assert created[0].data["gender"] == "male"
    assert created[0].data["migrant_worker"] is False
    assert created[1].data["gender"] == "female"
    assert created[1].data["migrant_worker"] is True
    assert created[1].data["category"] == "technical"
    assert created[1].data["phone"] == "+861065099999"
    assert created[1].data["id_number"] == second_person()["id_number"]

    events = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "nomination.create",
            AuditEvent.entity_id.in_([str(n.id) for n in created]),
        )
    ).all()
    assert len(events) == 2
    assert {e.actor_name for e in events} == {"unit1"}
    summary = session.scalar(select(AuditEvent).where(AuditEvent.action == "nomination.import"))
    assert summary.after["created"] == [n.id for n in created]
    assert summary.after["left_out_rows"] == []
    # The kept sheet is gone once imported: committing again creates nothing.
    assert not kept_path(app, summary.after["sheet_sha256"]).exists()
    again = web_client.post("/imports/commit", data={"token": token_of(page)})
    assert again.status_code == 302 and again.location.endswith("/imports/new")
    assert nomination_count(session) == before + 2


# --- rows with errors ------------------------------------------------------------------------


def bad_sheet(session, web):
    """Rows 3-9: valid, bad checksum, bad phone, missing ethnicity, unknown label, twice one ID."""
    defn = nominee_form(session, web)

    def woman(serial, **overrides):
        return second_person(id_number=resident_id("1975-06-15", True, serial), **overrides)

    twin = resident_id("1980-03-03")
    right = resident_id("1975-06-15", True, 1)
    wrong = right[:-1] + ("1" if right[-1] == "0" else "0")  # the check digit off
    rows = [
        as_cells(defn, person_data()),
        as_cells(defn, second_person(id_number=wrong)),
        as_cells(defn, woman(2, name="王芳", phone="12345")),
        as_cells(defn, woman(3, name="赵敏", ethnicity=None)),
        {**as_cells(defn, woman(4, name="钱红")), "gender": "未知"},
        as_cells(defn, person_data(name="孙强", birth_date="1980-03-03", id_number=twin)),
        as_cells(defn, person_data(name="周刚", birth_date="1980-03-03", id_number=twin)),
    ]
    return fill(imports.template(defn), rows)


def test_errors_reported_on_their_row_and_field_and_nothing_created(web_client, web, session):
    login(web_client, "unit1")
    before = nomination_count(session)
    page = upload(web_client, web, bad_sheet(session, web))
    assert page.status_code == 200
    assert 'data-count="total">7<' in page.text
    assert 'data-count="valid">1<' in page.text
    assert 'data-count="invalid">6<' in page.text
    assert errors_of(page, 3) == {}
    assert list(errors_of(page, 4)) == ["id_number"]
    assert "校验码" in errors_of(page, 4)["id_number"]
    assert errors_of(page, 5) == {"phone": "电话号码无效"}
    assert errors_of(page, 6) == {"ethnicity": "此项必填"}
    assert list(errors_of(page, 7)) == ["gender"]
    assert "“未知”不是可选项" in errors_of(page, 7)["gender"]
    assert errors_of(page, 8) == {"id_number": "与第 9 行重复"}
    assert errors_of(page, 9) == {"id_number": "与第 8 行重复"}
    assert nomination_count(session) == before

    # Committing without accepting to leave the bad rows out imports nothing.
    refused = web_client.post("/imports/commit", data={"token": token_of(page)})
    assert refused.status_code == 422
    assert 'id="accept_valid_only-errors"' in refused.text
    assert nomination_count(session) == before


def test_read_reports_in_english_and_commit_refuses_invalid_rows(app, session, web):
    defn = nominee_form(session, web)
    with app.test_request_context("/?lang=en"):
        rows = imports.read(bad_sheet(session, web), defn)
        assert [r.row for r in rows] == [3, 4, 5, 6, 7, 8, 9]
        assert rows[0].valid and rows[0].data["id_number"] == person_data()["id_number"]
        assert rows[2].errors == {"phone": ["Invalid phone number"]}
        assert rows[3].errors == {"ethnicity": ["This field is required"]}
        assert rows[4].errors["gender"][0].startswith("'未知' is not a choice: Male, Female")
        assert rows[5].errors == {"id_number": ["Same as row 9"]}
    before = nomination_count(session)
    with pytest.raises(InvalidData) as refused:
        imports.commit(
            session,
            actor=web.users["unit1"],
            campaign=web.campaign,
            kind="individual",
            unit=web.unit1,
            rows=rows,
            accept_valid_only=False,
        )
    assert "row 4" in refused.value.fields
    assert nomination_count(session) == before


def test_accept_valid_only_creates_only_the_valid_rows(web_client, web, session):
    login(web_client, "unit1")
    before = nomination_count(session)
    data = sheet(
        session,
        web,
        [
            person_data(),
            second_person(phone="12345"),
            second_person(
                name="王芳",
                birth_date="1990-01-01",
                id_number=resident_id("1990-01-01", female=True),
            ),
        ],
    )
    page = upload(web_client, web, data)
    assert 'data-count="valid">2<' in page.text
    assert 'name="accept_valid_only"' in page.text
    done = web_client.post(
        "/imports/commit", data={"token": token_of(page), "accept_valid_only": "y"}
    )
    assert done.status_code == 302
    assert nomination_count(session) == before + 2
    names = session.scalars(select(Nomination.nominee_name).order_by(Nomination.id)).all()
    assert names[-2:] == ["张建国", "王芳"]
    summary = session.scalar(select(AuditEvent).where(AuditEvent.action == "nomination.import"))
    assert summary.after["left_out_rows"] == [4]
    assert summary.after["rows"] == 3


def test_a_person_the_unit_already_nominated_is_an_error(
    web_client, new_web_client, web, session, create_nomination_for
):
    existing = create_nomination_for("unit1")
    session.commit()
    login(web_client, "unit1")
    page = upload(web_client, web, sheet(session, web, [person_data(), second_person()]))
    assert f"推荐编号 {existing.id}" in errors_of(page, 3)["id_number"]
    assert errors_of(page, 4) == {}
    # Another unit may nominate the same person: it is not told about unit1's nomination.
    other = new_web_client()
    login(other, "unit2")
    page = upload(other, web, sheet(session, web, [person_data()]), unit=web.unit2)
    assert errors_of(page, 3) == {}


def test_result_changed_since_the_dry_run_is_shown_again(
    web_client, web, session, create_nomination_for
):
    login(web_client, "unit1")
    page = upload(web_client, web, sheet(session, web, [person_data(), second_person()]))
    assert 'data-count="valid">2<' in page.text
    create_nomination_for("unit1")  # meanwhile, by hand
    session.commit()
    before = nomination_count(session)
    again = web_client.post(
        "/imports/commit", data={"token": token_of(page), "accept_valid_only": "y"}
    )
    assert again.status_code == 409
    assert "推荐编号" in errors_of(again, 3)["id_number"]
    assert nomination_count(session) == before


# --- hostile and wrong files -----------------------------------------------------------------


def zipped(parts):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, content in parts.items():
            z.writestr(name, content)
    return out.getvalue()


def content_types(main):
    return (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{main}"/></Types>'
    )


def with_part(data, name, content):
    """Return the workbook ``data`` with part ``name`` replaced or added."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts[name] = content
    return zipped(parts)


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda wb: b"<html><script>alert(1)</script></html>", "not_xlsx"),
        (lambda wb: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "not_xlsx"),  # .xls
        (lambda wb: zipped({"a.txt": "hello"}), "not_xlsx"),
        (lambda wb: wb[: len(wb) // 2], "damaged"),
        (lambda wb: b"", "empty"),
        (
            lambda wb: with_part(
                wb,
                "[Content_Types].xml",
                content_types("application/vnd.ms-excel.sheet.macroEnabled.main+xml"),
            ),
            "macros",
        ),
        (
            lambda wb: with_part(
                wb,
                "[Content_Types].xml",
                content_types(
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml"
                ),
            ),
            "not_xlsx",
        ),
        (lambda wb: with_part(wb, "xl/vbaProject.bin", b"\0" * 64), "macros"),
        (
            lambda wb: with_part(
                wb, "docProps/custom.xml", '<!DOCTYPE x [<!ENTITY a "a">]><x>&a;</x>'
            ),
            "damaged",
        ),
    ],
    ids=["html", "xls", "zip", "truncated", "empty", "xlsm", "xltx", "vba", "dtd"],
)
def test_files_that_are_no_plain_workbook_are_refused(session, web, make, code):
    good = sheet(session, web, [person_data()])
    with pytest.raises(SheetRejected) as refused:
        imports.read(make(good), nominee_form(session, web))
    assert refused.value.code == code


def test_html_named_xlsx_is_refused_with_the_error_beside_the_field(web_client, web, session):
    login(web_client, "unit1")
    page = upload(web_client, web, b"<!doctype html><p>not a sheet</p>", filename="名单.xlsx")
    assert page.status_code == 422
    field = page.text[page.text.index('data-field="sheet"') :]
    assert "只接受 Excel 工作簿(.xlsx)" in field[: field.index("</div>\n</div>") + 20]
    assert "data-count" not in page.text


def test_a_formula_is_imported_as_its_text_never_its_value(web_client, web, session):
    defn = nominee_form(session, web)
    data = fill(imports.template(defn), [{**as_cells(defn, person_data()), "post": FORMULA}])
    # Put a cached result beside the formula, as Excel would: it must not be what is read.
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>HYPERLINK(" in xml
    xml = re.sub(
        r"(<c r=\"I3\")([^>]*)>(<f>.*?</f>)<v\s*/>", r'\1 t="str"\2>\3<v>点击查看</v>', xml
    )
    assert "<v>点击查看</v>" in xml
    data = with_part(data, "xl/worksheets/sheet1.xml", xml)

    login(web_client, "unit1")
    page = upload(web_client, web, data)
    assert 'data-count="valid">1<' in page.text
    web_client.post("/imports/commit", data={"token": token_of(page)})
    created = session.scalars(select(Nomination).order_by(Nomination.id.desc())).first()
    assert created.data["post"] == FORMULA


def test_an_id_number_excel_turned_into_a_number_is_named(session, web):
    defn = nominee_form(session, web)
    cells = as_cells(defn, person_data())
    cells["id_number"] = int(person_data()["id_number"])  # Excel keeps 15 significant digits
    rows = imports.read(fill(imports.template(defn), [cells]), defn)
    assert "文本格式" in rows[0].errors["id_number"][0]


def test_dates_as_excel_dates_or_text(session, web):
    defn = nominee_form(session, web)
    template = imports.template(defn)
    rows = []
    for serial, birth in enumerate(
        (date(1949, 12, 31), "1949-12-31", "1949/12/31", "1949年12月31日", "31.12.1949")
    ):
        person = person_data(id_number=resident_id("1949-12-31", serial=serial))
        rows.append({**as_cells(defn, person), "birth_date": birth})
    results = imports.read(fill(template, rows), defn)
    assert [r.data.get("birth_date") for r in results[:4]] == ["1949-12-31"] * 4
    assert results[4].errors == {"birth_date": ["日期应为 Excel 日期或 1980-01-31 的格式"]}


# --- who may import --------------------------------------------------------------------------


def test_a_user_of_another_unit_cannot_import_for_this_unit(
    web_client, new_web_client, web, session
):
    data = sheet(session, web, [person_data()])
    before = nomination_count(session)
    other = new_web_client()
    login(other, "unit2")
    # unit1 is not among unit2's choices.
    refused = upload(other, web, data, unit=web.unit1)
    assert refused.status_code == 422
    assert "data-count" not in refused.text
    # Nor may unit2 commit the dry run unit1 signed.
    login(web_client, "unit1")
    token = token_of(upload(web_client, web, data))
    assert other.post("/imports/commit", data={"token": token}).status_code == 403
    assert other.post("/imports/commit", data={"token": token + "x"}).status_code == 400
    assert nomination_count(session) == before
    rows = imports.read(data, nominee_form(session, web))
    with pytest.raises(PermissionDenied):
        imports.commit(
            session,
            actor=web.users["unit2"],
            campaign=web.campaign,
            kind="individual",
            unit=web.unit1,
            rows=rows,
            accept_valid_only=False,
        )


# --- the shape of the sheet ------------------------------------------------------------------


def test_the_row_cap(web_client, web, session):
    defn = nominee_form(session, web)
    template = imports.template(defn)
    names = [{"name": f"职工{i}"} for i in range(imports.MAX_ROWS + 1)]
    with pytest.raises(SheetRejected) as refused:
        imports.read(fill(template, names), defn)
    assert refused.value.code == "too_many_rows"
    assert "500" in refused.value.message_zh
    assert len(imports.read(fill(template, names[:3]), defn, max_rows=3)) == 3
    with pytest.raises(SheetRejected):
        imports.read(fill(template, names[:4]), defn, max_rows=3)
    login(web_client, "unit1")
    page = upload(web_client, web, fill(template, names))
    assert page.status_code == 422
    assert "分成几个文件" in page.text


def test_headings_without_the_hidden_row_and_stray_columns(session, web):
    defn = nominee_form(session, web)
    wb = openpyxl.load_workbook(io.BytesIO(imports.template(defn)))
    ws = wb.active
    ws.delete_rows(2)  # someone deleted the hidden row of names
    cells = as_cells(defn, person_data())
    for col, fd in enumerate(defn.fields, start=1):
        ws.cell(row=2, column=col, value=cells.get(fd.name))
    out = io.BytesIO()
    wb.save(out)
    rows = imports.read(out.getvalue(), defn)
    assert [(r.row, r.valid) for r in rows] == [(2, True)]

    ws.cell(row=1, column=len(defn.fields) + 1, value="序号")
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(SheetRejected) as refused:
        imports.read(out.getvalue(), defn)
    assert refused.value.code == "unknown_column"

    team = imports.template(nominee_form(session, web, "team"))
    with pytest.raises(SheetRejected) as refused:
        imports.read(fill(team, [{"team_name": "班组"}]), defn)
    assert refused.value.code == "wrong_form"


def test_prior_honours_are_one_cell_of_lines(session, web):
    defn = nominee_form(session, web)
    honours = defn.field("prior_honours")
    assert honours is not None and honours.type == "rows"
    template = imports.template(defn)
    wb = openpyxl.load_workbook(io.BytesIO(template))
    column = openpyxl.utils.get_column_letter(defn.fields.index(honours) + 1)
    assert wb.active.column_dimensions[column].number_format == "@"
    explained = [r for r in wb["说明"].iter_rows(values_only=True) if r and r[1] == "曾获主要荣誉"]
    assert "荣誉称号|授予单位|年份" in explained[0][3]

    def person(serial, cell):
        data = person_data(id_number=resident_id("1949-12-31", serial=serial))
        return {**as_cells(defn, data), "prior_honours": cell}

    good = "全国五一劳动奖章|中华全国总工会|2019\n\n北京市劳动模范 | 北京市人民政府 | 2015"
    rows = imports.read(
        fill(
            template,
            [
                person(1, good),
                person(2, "a|b|c|d"),
                person(3, "首都劳动奖章|北京市总工会|去年"),
                person(4, "首都劳动奖章|北京市总工会"),
            ],
        ),
        defn,
    )
    assert rows[0].valid, rows[0].errors
    assert rows[0].data["prior_honours"] == [
        {"title": "全国五一劳动奖章", "grantor": "中华全国总工会", "year": 2019},
        {"title": "北京市劳动模范", "grantor": "北京市人民政府", "year": 2015},
    ]
    assert rows[1].errors == {"prior_honours": ["第 1 行应为“荣誉称号|授予单位|年份”"]}
    assert rows[2].errors == {"prior_honours": ["第 1 行:应为整数"]}
    assert "年份" in rows[3].errors["prior_honours"][0]  # a required column left out
