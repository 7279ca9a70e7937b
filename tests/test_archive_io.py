"""Importing an existing archive (Excel, CSV), exporting what a search found, the record card."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import UTC, date, datetime

import openpyxl
import pytest
from sqlalchemy import func, select
from stdnum.cn import ric

from nomination.actors import SYSTEM
from nomination.archive import people as archive
from nomination.archive import spreadsheets as archive_io
from nomination.archive.people import find_or_create_person
from nomination.archive.search import check_filters
from nomination.archive.spreadsheets import FileRejected
from nomination.errors import InvalidData, PermissionDenied
from nomination.models import ArchivePerson, AuditEvent, HonourRecord, PersonStatus

from test_web_support import login

pytest_plugins = ["test_web_support"]
pytestmark = pytest.mark.usefixtures("web")

FORMULA = "=cmd|' /C calc'!A0"


def resident_id(serial: int, birth: str = "19700101", female: bool = False) -> str:
    """Return a valid resident ID number, distinct for each ``serial``."""
    body = "110105" + birth + f"{serial * 10 + (2 if female else 3):03d}"[-3:]
    return body + ric.calc_check_digit(body + "0")


def bad_checksum(serial: int) -> str:
    good = resident_id(serial)
    return good[:-1] + ("1" if good[-1] != "1" else "2")


def row(**values):
    """Return a valid row (by column key), with ``values`` changed."""
    data = {
        "name": "孙志强",
        "id_number": resident_id(21),
        "gender": "男",
        "birth_date": "1970-01-01",
        "ethnicity": "汉族",
        "unit": "单位一",
        "post": "高级技师",
        "sector": "制造业",
        "title": "首都劳动奖章",
        "level": "",
        "honour_type": "",
        "year": 2015,
        "conferred_by": "北京市总工会",
        "decision_number": "京工发〔2015〕5号",
        "decision_date": "2015-04-28",
        "status": "在职",
        "phone": "13910000001",
    }
    data.update(values)
    return data


#: Seven rows: three valid (two honours of one person, one of another), four with problems.
ROWS = [
    row(),  # 2
    row(
        title="全国劳动模范",
        year=2020,
        decision_number="国发〔2020〕1号",
        decision_date="2020-11-24",
    ),  # 3
    row(name="钱伟", id_number=bad_checksum(22)),  # 4: bad check digit
    row(name="李明", id_number=resident_id(24), title="火星劳动模范"),  # 5: unknown title
    row(name="周杰", id_number=resident_id(23)),  # 6: the same person as row 7 …
    row(name="周洁", id_number=resident_id(23), year=2016),  # 7: … with another name
    row(name="吴刚", id_number=resident_id(25), status="退休", unit="外单位", phone=""),  # 8
]
VALID, INVALID = [2, 3, 8], [4, 5, 6, 7]


def workbook(rows, *, headings=None) -> bytes:
    """Return the template filled with ``rows`` from row 2."""
    data = archive_io.template(sorted(archive_io.KNOWN_TITLES))
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb[archive_io.DATA_SHEET["zh"]]
    if headings is not None:
        for i, heading in enumerate(headings, start=1):
            ws.cell(row=1, column=i, value=heading)
    for r, values in enumerate(rows, start=2):
        for c, column in enumerate(archive_io.COLUMNS, start=1):
            ws.cell(row=r, column=c, value=values.get(column.key, ""))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_file(rows, encoding="utf-8-sig") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([c.zh for c in archive_io.COLUMNS])
    for values in rows:
        writer.writerow([values.get(c.key, "") for c in archive_io.COLUMNS])
    return buffer.getvalue().encode(encoding)


def counts(session):
    return (
        session.scalar(select(func.count()).select_from(ArchivePerson)),
        session.scalar(select(func.count()).select_from(HonourRecord)),
    )


def events(session, action):
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# --- reading and checking --------------------------------------------------------------------


def test_the_template_has_the_columns_and_lists(session):
    data = archive_io.template(["首都劳动奖章", "朝阳区劳动模范"])
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb[archive_io.DATA_SHEET["zh"]]
    headings = [cell.value.rstrip(" *") for cell in ws[1]]
    assert headings == [
        "姓名", "身份证号", "性别", "出生日期", "民族", "工作单位", "职务", "行业", "称号",
        "级别", "类型", "年份", "授予机关", "决定文号", "决定日期", "状态", "联系电话",
    ]  # fmt: skip
    lists = wb[archive_io.LIST_SHEET]
    assert lists.sheet_state == "hidden"
    assert "朝阳区劳动模范" in [c.value for c in lists["B"]]


def test_the_dry_run_reports_every_row(session, web):
    parsed = archive_io.read(workbook(ROWS))
    rows = archive_io.check(session, web.federation, parsed)
    by_row = {r.row: r for r in rows}
    assert [r.row for r in rows if r.valid] == VALID
    assert "id_number" in by_row[4].errors
    assert "title" in by_row[5].errors and "火星劳动模范" in by_row[5].errors["title"][0]
    for number in (6, 7):
        assert list(by_row[number].errors) == ["name"]
        assert str(13 - number) in by_row[number].errors["name"][0]  # names the other row
    # Derived and read: the gender and birth from the ID number, the level from the title.
    assert by_row[2].data["level"] == "capital" and by_row[2].data["honour_type"] == "medal"
    assert by_row[3].data["level"] == "national"
    assert by_row[8].data["status"] == "retired"


def test_cells_that_are_not_right(session, web):
    rows = [
        row(gender="女"),  # the ID number says male
        row(id_number=resident_id(31), birth_date="1971-02-03"),  # not the ID's date
        row(id_number=resident_id(32), decision_date="2015-13-01", year="二〇一五"),
        row(id_number=resident_id(33), level="省级", status="调走"),
        row(id_number=resident_id(34), title="全国劳动模范", level="区级"),
        row(id_number=resident_id(35), honour_type="奖状"),
        row(id_number=resident_id(36), phone="12345"),
        row(id_number=resident_id(37), name=""),
        row(id_number=resident_id(38), decision_date="2999-01-01"),
    ]
    checked = archive_io.check(session, web.federation, archive_io.read(workbook(rows)))
    assert [sorted(r.errors) for r in checked] == [
        ["gender"],
        ["birth_date"],
        ["decision_date", "year"],
        ["level", "status"],
        ["level"],
        ["honour_type"],
        ["phone"],
        ["name"],
        ["decision_date"],
    ]


def test_an_id_number_excel_stored_as_a_number_is_refused(session, web):
    data = workbook([row(id_number=int(resident_id(41)[:17] + "0"))])
    (checked,) = archive_io.check(session, web.federation, archive_io.read(data))
    assert "Excel" in checked.errors["id_number"][0]


def test_csv_in_utf8_with_bom_and_in_gb18030_reads_the_same(session, web):
    from_xlsx = archive_io.read(workbook(ROWS)).rows
    for encoding in ("utf-8-sig", "utf-8", "gb18030"):
        parsed = archive_io.read(csv_file(ROWS, encoding))
        assert parsed.format == "csv"
        checked = archive_io.check(session, web.federation, parsed)
        assert [r.row for r in checked if r.valid] == VALID, encoding
        assert [r.data.get("name") for r in parsed.rows] == [r.data.get("name") for r in from_xlsx]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "xls"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not_text"),
        ("姓名,身份证号\n张三,1\n".encode("utf-16"), "encoding"),
        (b"\xff\xfe\xfd\x80\x81", "encoding"),
        ("姓名,年份\n张三,2015\n".encode(), "missing_columns"),
        ("名字,号码\n张三,1\n".encode(), "no_header"),
        ("姓名,姓名,身份证号\n".encode(), "duplicate_column"),
    ],
)
def test_files_that_are_not_an_archive_are_refused(data, code):
    with pytest.raises(FileRejected) as caught:
        archive_io.read(data)
    assert caught.value.code == code


def test_a_zip_that_is_no_workbook_and_too_many_rows_are_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w/>")
    with pytest.raises(FileRejected) as caught:
        archive_io.read(buffer.getvalue())
    assert caught.value.code == "zip"
    with pytest.raises(FileRejected) as caught:
        archive_io.read(csv_file(ROWS), max_rows=3)
    assert caught.value.code == "too_many_rows"


def test_unknown_columns_are_ignored_and_named(session, web):
    data = "姓名,身份证号,称号,年份,决定日期,备注\n孙志强,{},首都劳动奖章,2015,2015-04-28,好\n"
    parsed = archive_io.read(data.format(resident_id(21)).encode())
    assert parsed.ignored == ["备注"]
    assert archive_io.check(session, web.federation, parsed)[0].valid


# --- the import ------------------------------------------------------------------------------


def test_all_or_nothing_and_the_valid_rows_only(session, web):
    rows = archive_io.check(session, web.federation, archive_io.read(workbook(ROWS)))
    before = counts(session)
    with pytest.raises(InvalidData) as caught:
        archive_io.commit(
            session, actor=web.users["federation"], federation=web.federation, rows=rows,
            accept_valid_only=False,
        )  # fmt: skip
    assert set(caught.value.fields) == {f"row {n}" for n in INVALID}
    assert counts(session) == before
    result = archive_io.commit(
        session,
        actor=web.users["federation"],
        federation=web.federation,
        rows=rows,
        accept_valid_only=True,
        file_sha256="ab" * 32,
    )
    assert len(result.created) == 2 and result.extended == [] and len(result.honours) == 3
    assert result.left_out == INVALID
    assert counts(session) == (before[0] + 2, before[1] + 3)
    sun = session.get(ArchivePerson, result.created[0])
    assert (sun.name, sun.gender, sun.birth_date) == ("孙志强", "male", date(1970, 1, 1))
    assert sun.unit_id == web.unit1.id and sun.phone == "+8613910000001"
    assert sorted((h.title, h.year, h.nomination_id) for h in sun.honours) == [
        ("全国劳动模范", 2020, None),
        ("首都劳动奖章", 2015, None),
    ]
    wu = session.get(ArchivePerson, result.created[1])
    assert wu.unit_id is None and wu.unit_name == "外单位" and wu.status == "retired"
    assert [s.status for s in wu.statuses] == ["retired"]
    # Audited: each person, first status and honour, and the import without personal data.
    assert len(events(session, "archive.person_create")) == 2
    assert len(events(session, "archive.status_report")) == 2
    assert len(events(session, "archive.honour_import")) == 3
    (summary,) = events(session, "archive.import")
    assert summary.after["left_out_rows"] == INVALID
    assert summary.after["honours"] == result.honours
    assert "孙志强" not in summary.payload and resident_id(21) not in summary.payload


def test_an_honour_already_in_the_archive_is_reported_and_a_person_extended(session, web):
    first = archive_io.check(session, web.federation, archive_io.read(workbook([row()])))
    archive_io.commit(
        session, actor=web.users["federation"], federation=web.federation, rows=first,
        accept_valid_only=False,
    )  # fmt: skip
    again = workbook(
        [row(), row(title="全国劳动模范", year=2020, decision_number="国发〔2020〕1号")]
    )
    checked = archive_io.check(session, web.federation, archive_io.read(again))
    assert "title" in checked[0].errors and checked[1].valid
    assert checked[1].notes  # an existing record, which the honour extends
    result = archive_io.commit(
        session, actor=web.users["federation"], federation=web.federation, rows=checked,
        accept_valid_only=True,
    )  # fmt: skip
    assert result.created == [] and len(result.extended) == 1
    person = session.get(ArchivePerson, result.extended[0])
    assert len(person.honours) == 2
    # Its status was reported once, when it was created.
    assert (
        session.scalar(
            select(func.count())
            .select_from(PersonStatus)
            .where(PersonStatus.person_id == person.id)
        )
        == 1
    )
    # Another name under the same ID number is an error, not a second person.
    other = archive_io.check(
        session, web.federation, archive_io.read(workbook([row(name="孙志刚", year=2021)]))
    )
    assert "孙志强" in other[0].errors["name"][0]


def test_only_the_federations_managers_import(session, web):
    rows = archive_io.check(session, web.federation, archive_io.read(workbook([row()])))
    for user in ("unit1", "approver", "auditor", "committee1"):
        with pytest.raises(PermissionDenied):
            archive_io.commit(
                session, actor=web.users[user], federation=web.federation, rows=rows,
                accept_valid_only=False,
            )  # fmt: skip


# --- the pages -------------------------------------------------------------------------------


def upload(client, data, filename="archive.xlsx"):
    return client.post(
        "/archive/import",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def token_of(html):
    return re.search(r'name="token" value="([^"]+)"', html).group(1)


def test_upload_once_dry_run_then_commit(session, web, new_web_client):
    client = new_web_client()
    login(client, "federation")
    assert client.get("/archive/import").status_code == 200
    template = client.get("/archive/import/template")
    assert template.status_code == 200 and template.data.startswith(b"PK")
    before = counts(session)
    dry = upload(client, workbook(ROWS))
    page = dry.get_data(as_text=True)
    assert dry.status_code == 200
    assert re.search(r'data-count="total">7<', page)
    assert re.search(r'data-count="valid">3<', page)
    assert re.search(r'data-count="invalid">4<', page)
    for number, field in ((4, "id_number"), (5, "title"), (6, "name"), (7, "name")):
        block = page[page.index(f'data-row="{number}"') :]
        block = block[: block.index("</tr>")]
        assert f'data-error-for="{field}"' in block, number
    assert resident_id(21) not in page  # masked on the page
    assert counts(session) == before  # the dry run writes nothing
    token = token_of(page)

    # All or nothing: refused while rows have errors, unless the valid ones are accepted.
    refused = client.post("/archive/import/commit", data={"token": token})
    assert refused.status_code == 422
    assert 'id="accept_valid_only-errors"' in refused.get_data(as_text=True)
    assert counts(session) == before
    done = client.post("/archive/import/commit", data={"token": token, "accept_valid_only": "y"})
    assert done.status_code == 302
    assert counts(session) == (before[0] + 2, before[1] + 3)
    # The kept file is gone once imported: the same token cannot import twice.
    twice = client.post("/archive/import/commit", data={"token": token, "accept_valid_only": "y"})
    assert twice.status_code == 302 and twice.headers["Location"].endswith("/archive/import")
    assert counts(session) == (before[0] + 2, before[1] + 3)


def test_a_file_without_errors_imports_whole_and_a_change_meanwhile_conflicts(
    session, web, new_web_client
):
    client = new_web_client()
    login(client, "federation")
    data = csv_file([row(), row(name="吴刚", id_number=resident_id(25))])
    first = upload(client, data, "archive.csv")
    assert 'data-count="valid">2<' in first.get_data(as_text=True)
    # Meanwhile someone imports 吴刚's honour: the commit shows the new check instead.
    other = archive_io.check(
        session,
        web.federation,
        archive_io.read(csv_file([row(name="吴刚", id_number=resident_id(25))])),
    )
    archive_io.commit(
        session, actor=web.users["admin"], federation=web.federation, rows=other,
        accept_valid_only=False,
    )  # fmt: skip
    session.commit()
    before = counts(session)
    conflict = client.post("/archive/import/commit", data={"token": token_of(first.text)})
    assert conflict.status_code == 409
    assert counts(session) == before
    second = upload(client, csv_file([row()]), "archive.csv")
    assert (
        client.post("/archive/import/commit", data={"token": token_of(second.text)}).status_code
        == 302
    )
    assert counts(session) == (before[0] + 1, before[1] + 1)


def test_a_refused_file_is_said_beside_the_field(session, web, new_web_client):
    client = new_web_client()
    login(client, "federation")
    refused = upload(client, b"\x89PNG\r\n\x1a\n\x00\x00", "photo.xlsx")
    assert refused.status_code == 422
    assert 'id="file-errors"' in refused.get_data(as_text=True)
    nothing = client.post("/archive/import", data={}, content_type="multipart/form-data")
    assert nothing.status_code == 422


def test_others_may_not_import(session, web, new_web_client):
    for user in ("unit1", "committee1", "approver", "auditor", "judge1"):
        client = new_web_client()
        login(client, user)
        assert client.get("/archive/import").status_code == 403, user
        assert client.get("/archive/import/template").status_code == 403, user
        assert upload(client, workbook([row()])).status_code == 403, user
        assert client.post("/archive/import/commit", data={"token": "x"}).status_code == 403


def test_a_token_is_bound_to_its_user(session, web, new_web_client):
    federation = new_web_client()
    login(federation, "federation")
    token = token_of(upload(federation, workbook([row()])).get_data(as_text=True))
    admin = new_web_client()
    login(admin, "admin")
    assert admin.post("/archive/import/commit", data={"token": token}).status_code == 403
    assert admin.post("/archive/import/commit", data={"token": "forged"}).status_code == 400


# --- export ----------------------------------------------------------------------------------


@pytest.fixture
def exported(session, web):
    """Two people: one of unit1 whose post is a formula, one of unit3."""
    formula, _ = find_or_create_person(
        session,
        web.federation,
        id_number=resident_id(51),
        name="张建国",
        actor=SYSTEM,
        unit_id=web.unit1.id,
        unit_name="单位一",
        post=FORMULA,
        phone="+8613910000051",
    )
    session.add(
        HonourRecord(
            kind="individual",
            title="@SUM(A1)",
            year=2015,
            holder_name="张建国",
            unit_id=web.unit1.id,
            conferred_by="+北京市总工会",
            decision_number="-1",
            decision_date=date(2015, 4, 28),
            person=formula,
            level="capital",
            honour_type="medal",
        )
    )
    find_or_create_person(
        session,
        web.federation,
        id_number=resident_id(52),
        name="李秀英",
        actor=SYSTEM,
        unit_id=web.unit3.id,
    )
    session.commit()
    return formula


def export_csv(client, query=""):
    response = client.get(f"/archive/export?format=csv{query}")
    assert response.status_code == 200
    assert response.data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_the_csv_export_neutralises_formulas(session, web, exported, new_web_client):
    client = new_web_client()
    login(client, "federation")
    rows = export_csv(client, "&q=zjg")
    header, (record,) = rows[0], rows[1:]
    assert header[:2] == ["姓名", "身份证号"]
    cells = dict(zip(header, record, strict=True))
    assert cells["职务"] == "'" + FORMULA
    assert cells["称号"] == "'@SUM(A1)"
    assert cells["授予机关"] == "'+北京市总工会"
    assert cells["决定文号"] == "'-1"
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert cells["身份证号"] == resident_id(51)  # the federation's reviewer: in clear


def test_the_xlsx_export_neutralises_formulas(session, web, exported, new_web_client):
    client = new_web_client()
    login(client, "federation")
    response = client.get("/archive/export?format=xlsx&q=张建国")
    assert response.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(response.data)).active
    header = [c.value for c in ws[1]]
    values = dict(zip(header, ws[2], strict=True))
    assert values["职务"].value == "'" + FORMULA and values["职务"].data_type == "s"
    assert all(c.data_type != "f" for r in ws.iter_rows() for c in r)
    assert ws.max_row == 2


@pytest.mark.parametrize(
    ("user", "clear"),
    [
        ("federation", True),
        ("admin", True),
        ("approver", False),
        ("auditor", False),
        ("unit1", False),
    ],
)
def test_the_export_masks_id_numbers_per_role(session, web, exported, new_web_client, user, clear):
    client = new_web_client()
    login(client, user)
    rows = export_csv(client, "&q=张建国")
    cells = dict(zip(rows[0], rows[1], strict=True))
    masked = resident_id(51)[:3] + "*" * 11 + resident_id(51)[-4:]
    assert cells["身份证号"] == (resident_id(51) if clear else masked)
    # A phone in E.164 starts with "+": neutralised like any would-be formula.
    assert cells["联系电话"] == ("'+8613910000051" if clear else "139****0051")
    (event,) = events(session, "archive.export")
    assert event.after["clear"] is clear and event.after["by_name"] is True


def test_the_export_is_scoped(session, web, exported, new_web_client):
    client = new_web_client()
    login(client, "unit3")
    names = [r[0] for r in export_csv(client)[1:]]
    assert names == ["李秀英"]
    judge = new_web_client()
    login(judge, "judge1")
    assert judge.get("/archive/export?format=csv").status_code == 403
    rows = list(archive_io.export_rows(
        session, web.users["federation"], check_filters(), language="en", clear=lambda p: False
    ))  # fmt: skip
    assert rows[0][:2] == ["Name", "ID number"] and len(rows) == 3


# --- the record card -------------------------------------------------------------------------


def test_the_card_prints_the_record_masked_per_role(session, web, exported, new_web_client):
    federation = new_web_client()
    login(federation, "federation")
    page = federation.get(f"/archive/people/{exported.id}/card")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'id="card-id-number">{resident_id(51)}<' in html
    assert "@SUM(A1)" in html and "京工发" not in html
    reader = new_web_client()
    login(reader, "approver")
    html = reader.get(f"/archive/people/{exported.id}/card").get_data(as_text=True)
    assert resident_id(51) not in html and "***********" in html
    stranger = new_web_client()
    login(stranger, "unit3")
    assert stranger.get(f"/archive/people/{exported.id}/card").status_code == 404


def test_the_card_as_pdf(session, web, exported, new_web_client):
    client = new_web_client()
    login(client, "federation")
    response = client.get(f"/archive/people/{exported.id}/card.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")


# --- local dates -------------------------------------------------------------------------------


def test_an_import_at_0039_beijing_time_dates_by_the_local_day(session, web, monkeypatch, app):
    # 2026-12-07 16:39 UTC is 00:39 on 12-08 in Beijing: the day people mean is 12-08.
    monkeypatch.setitem(app.config, "FROZEN_TIME", datetime(2026, 12, 7, 16, 39, tzinfo=UTC))
    rows = archive_io.check(
        session,
        web.federation,
        archive_io.read(workbook([row(year=2026, decision_date="2026-12-08")])),
    )
    assert rows[0].errors == {}  # decided "today", not in the future
    result = archive_io.commit(
        session,
        actor=web.users["federation"],
        federation=web.federation,
        rows=rows,
        accept_valid_only=False,
    )
    person = session.get(ArchivePerson, result.created[0])
    assert [s.effective_date for s in person.statuses] == [date(2026, 12, 8)]
    # Tomorrow, in Beijing, is still refused.
    rows = archive_io.check(
        session,
        web.federation,
        archive_io.read(workbook([row(id_number=resident_id(26), decision_date="2026-12-09")])),
    )
    assert "decision_date" in rows[0].errors


def test_status_reports_and_as_of_views_count_local_days(session, web):
    person, _ = find_or_create_person(
        session, web.federation, id_number=resident_id(27), name="赵敏", actor=SYSTEM
    )
    unit = web.users["unit1"]
    just_after_midnight = datetime(2026, 12, 7, 16, 39, tzinfo=UTC)  # 12-08 00:39 in Beijing
    # Known on 12-05, reported on (Beijing) 12-08: more than two days, late.
    death = archive.report_status(
        session,
        person,
        unit,
        status="deceased",
        effective_date=date(2026, 12, 5),
        now=just_after_midnight,
    )
    assert archive.death_report_late(death)
    # The record as it stood at the end of 12-07 (Beijing) does not have it yet; of 12-08 does.
    assert archive.as_of(session, person, date(2026, 12, 7)).status is None
    assert archive.as_of(session, person, date(2026, 12, 8)).status.status == "deceased"
    # At 23:00 in Beijing on 12-08, 12-09 is tomorrow: refused.
    late_evening = datetime(2026, 12, 8, 15, 0, tzinfo=UTC)
    with pytest.raises(InvalidData) as caught:
        archive.report_status(
            session,
            person,
            unit,
            status="deceased",
            effective_date=date(2026, 12, 9),
            now=late_evening,
        )
    assert "effective_date" in caught.value.fields


# --- a round trip: export, import elsewhere, export again ---------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_imported_and_exported_again_reads_the_same(
    session, web, create_org, create_user, fmt
):
    person, _ = find_or_create_person(
        session,
        web.federation,
        id_number=resident_id(61),
        name="张建国",
        actor=SYSTEM,
        unit_name="'引号开头的单位",  # genuinely starts with a quote
        post=FORMULA,
        sector="''两个引号",
        ethnicity="汉族",
        gender="male",
        birth_date=date(1970, 1, 1),
        phone="+8613910000061",  # "+": quoted on the way out
    )
    session.add(
        HonourRecord(
            kind="individual",
            title="首都劳动奖章",
            year=2015,
            holder_name="张建国",
            conferred_by="+北京市总工会",
            decision_number="-1",
            decision_date=date(2015, 4, 28),
            person=person,
            level="capital",
            honour_type="medal",
        )
    )
    session.flush()
    other = create_org("F2", "federation", name="海淀区总工会")
    reviewer = create_user("f2reviewer", [("federation_reviewer", other)])

    def export(user):
        rows = archive_io.export_rows(
            session, user, check_filters(q="张建国"), language="zh", clear=lambda _: True
        )
        if fmt == "csv":
            data = archive_io.csv_bytes(rows)
            table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        else:
            data = archive_io.xlsx_bytes(rows, "zh")
            sheet = openpyxl.load_workbook(io.BytesIO(data)).active
            table = [["" if c is None else str(c) for c in r] for r in sheet.values]
        record = table[0].index("档案号")  # the record's number differs between archives
        return data, [r[:record] + r[record + 1 :] for r in table]

    data, first = export(web.users["federation"])
    assert "'" + FORMULA in first[1] and "''引号开头的单位" in first[1]
    rows = archive_io.check(session, other, archive_io.read(data))
    assert [r.errors for r in rows] == [{}]
    assert rows[0].data["post"] == FORMULA and rows[0].data["unit"] == "'引号开头的单位"
    archive_io.commit(session, actor=reviewer, federation=other, rows=rows, accept_valid_only=False)
    _, second = export(reviewer)
    assert second == first
