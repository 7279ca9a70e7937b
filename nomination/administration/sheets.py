"""Units and their users in one Excel sheet: a template, a dry run, an all-or-nothing import.

A row is a unit (its working committee's code, its code, names, credit code, contact) and,
optionally, one user who submits for it. A unit with several users takes several rows that
repeat the unit's code. The dry run and the import run the very same operations, each row in
a savepoint; the dry run, or any row refused, rolls everything back.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import openpyxl
from openpyxl.styles import Font
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nomination.administration.organisations import create_organisation, update_organisation
from nomination.administration.people import create_user, temporary_password
from nomination.errors import InvalidData
from nomination.i18n import pick
from nomination.models import Organisation, RoleAssignment, User
from nomination.spreadsheets import (
    check_workbook,
    run_in_savepoints,
    sheet_rows,
    workbook_bytes,
    xlsx_bytes,
)

#: The sheet's columns: (key, Chinese heading, English heading).
COLUMNS = (
    ("committee", "所属工委代码", "Committee code"),
    ("code", "单位代码", "Unit code"),
    ("name", "单位名称", "Unit name"),
    ("name_en", "英文名称", "Name in English"),
    ("uscc", "统一社会信用代码", "Credit code"),
    ("contact_person", "联系人", "Contact person"),
    ("contact_phone", "联系电话", "Contact phone"),
    ("username", "填报员用户名", "Submitter user name"),
    ("display_name", "填报员姓名", "Submitter name"),
    ("email", "填报员电子邮件", "Submitter e-mail"),
)
SHEET_TITLE = "单位和用户"
MAX_ROWS = 5000


@dataclass
class Row:
    """One row of the sheet and what the import does with it."""

    number: int
    values: dict[str, str]
    unit: str = ""  # "new", "exists"
    user: str = ""  # "new", "exists", ""
    errors: dict[str, list[str]] = field(default_factory=dict)
    password: str | None = None


def template() -> bytes:
    """Return the empty sheet with its headings, and a second sheet that explains it."""
    wb = openpyxl.Workbook()
    ws = wb.worksheets[0]
    ws.title = SHEET_TITLE
    ws.append([zh for _, zh, _ in COLUMNS])
    ws.append([key for key, _, _ in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for column, width in zip("ABCDEFGHIJ", (14, 14, 30, 24, 22, 10, 16, 16, 12, 24), strict=True):
        ws.column_dimensions[column].width = width
    notes = wb.create_sheet("填写说明")
    for line in (
        ("填写说明 / How to fill it in",),
        ("从「单位和用户」表第 3 行起,每行一个基层单位;第 2 行是列的代码,请勿修改。",),
        ("From row 3 of the first sheet, one unit a row; row 2 names the columns: keep it.",),
        ("一个单位有多位填报员时,重复该单位代码另起一行。",),
        ("For several submitters of one unit, repeat the unit's code on another row.",),
        ("已有的单位按表中内容更新;空白单元格保留原值。",),
        ("A unit that exists is updated with the row; an empty cell keeps its value.",),
        ("示例 / Example:",),
        (
            "XC-GW1",
            "XC-001",
            "示例单位工会",
            "",
            "91110000600037341L",
            "王联络",
            "13910000001",
            "xc001",
            "李填报",
            "",
        ),
    ):
        notes.append(line)
    notes.column_dimensions["A"].width = 90
    return workbook_bytes(wb)


def export(session: Session, root: Organisation) -> bytes:
    """Return the units below ``root`` and their submitters, in the template's layout."""
    return xlsx_bytes(_export_rows(session, root), SHEET_TITLE)


def _export_rows(session: Session, root: Organisation) -> Iterator[list[str]]:
    """Yield the template's two header rows, then a row per unit and submitter."""
    yield [zh for _, zh, _ in COLUMNS]
    yield [key for key, _, _ in COLUMNS]
    units = session.scalars(
        select(Organisation)
        .where(
            Organisation.kind == "unit",
            Organisation.active,
            Organisation.path.startswith(root.path),
        )
        .order_by(Organisation.path)
    )
    for unit in units:
        parent = unit.parent.code if unit.parent is not None else ""
        base = [
            parent,
            unit.code,
            unit.name,
            unit.name_en or "",
            unit.uscc or "",
            unit.contact_person or "",
            unit.contact_phone or "",
        ]
        users = session.scalars(
            select(User)
            .join(RoleAssignment)
            .where(
                RoleAssignment.organisation_id == unit.id, RoleAssignment.role == "unit_submitter"
            )
            .order_by(User.username)
        ).all()
        if not users:
            yield [*base, "", "", ""]
        for user in users:
            yield [*base, user.username, user.display_name, user.email or ""]


def read(data: bytes) -> list[Row]:
    """Return the sheet's rows; raise SheetRejected when it is not a plain, intact workbook.

    The columns are read in the template's order from row 3 on; a formula gives the value
    Excel saved with it.
    """
    check_workbook(data)
    keys = [key for key, _, _ in COLUMNS]
    rows: list[Row] = []
    cached = sheet_rows(data, [SHEET_TITLE], formulas_as_text=False)
    for number, cells in enumerate(cached, start=1):
        if number <= 2 or len(rows) > MAX_ROWS:
            continue
        values = {
            k: ("" if v is None else str(v).strip()) for k, v in zip(keys, cells, strict=False)
        }
        if any(values.values()):
            rows.append(Row(number, {k: values.get(k, "") for k in keys}))
    return rows


def _say(zh: str, en: str) -> str:
    return pick({"zh": zh, "en": en})


def _unit_of_row(
    session: Session, actor: Any, root: Organisation, v: dict[str, str]
) -> tuple[Organisation, str]:
    """Return the row's unit, created or brought up to date, and "new", "updated" or "exists"."""
    unit = session.scalar(
        select(Organisation).where(func.lower(Organisation.code) == v["code"].lower())
    )
    if unit is None:
        parent = session.scalar(
            select(Organisation).where(
                func.lower(Organisation.code) == v["committee"].lower(),
                Organisation.kind.in_(("committee", "federation")),
                Organisation.path.startswith(root.path),
            )
        )
        if parent is None:
            raise InvalidData(
                "no such committee",
                fields={
                    "committee": [
                        _say(
                            f"没有代码为「{v['committee']}」的工委",
                            f"No working committee has the code {v['committee']!r}",
                        )
                    ]
                },
            )
        unit = create_organisation(
            session,
            actor=actor,
            code=v["code"],
            name=v["name"],
            kind="unit",
            parent=parent,
            name_en=v["name_en"],
            uscc=v["uscc"],
            contact_person=v["contact_person"],
            contact_phone=v["contact_phone"],
            comment="sheet import",
        )
        return unit, "new"
    if unit.kind != "unit" or not unit.path.startswith(root.path):
        raise InvalidData(
            "code taken", fields={"code": [_say("代码已被其他组织使用", "The code is taken")]}
        )
    if (unit.parent.code if unit.parent else "").lower() != v["committee"].lower():
        raise InvalidData(
            "another committee",
            fields={
                "committee": [
                    _say(
                        "该单位属于另一工委,请先在单位页面调整所属工委",
                        "The unit is in another committee: move it on its page first",
                    )
                ]
            },
        )
    if not unit.active:
        raise InvalidData(
            "deactivated",
            fields={"code": [_say("该单位已停用", "The unit is deactivated")]},
        )
    changed = update_organisation(
        unit,
        actor=actor,
        name=v["name"],
        name_en=v["name_en"] or unit.name_en,
        uscc=v["uscc"] or unit.uscc,
        contact_person=v["contact_person"] or unit.contact_person,
        contact_phone=v["contact_phone"] or unit.contact_phone,
    )
    return unit, "updated" if changed else "exists"


def run(session: Session, *, actor: Any, root: Organisation, rows: list[Row], commit: bool) -> bool:
    """Create or update the rows' units, create their users; return whether all were accepted.

    Every row runs in its own savepoint, so that each one's errors are found; all rows run
    inside one more, rolled back unless ``commit`` and every row was accepted. A unit that
    exists is brought up to date with what the row gives (an empty cell keeps its value).
    """

    def apply(row: Row) -> None:
        v = row.values
        unit, row.unit = _unit_of_row(session, actor, root, v)
        if not v["username"]:
            return
        existing = session.scalar(
            select(User).where(func.lower(User.username) == v["username"].lower())
        )
        if existing is not None and any(
            r.role == "unit_submitter" and r.organisation_id == unit.id for r in existing.roles
        ):
            row.user = "exists"
            return
        row.password = temporary_password()
        create_user(
            session,
            actor=actor,
            username=v["username"],
            display_name=v["display_name"],
            email=v["email"],
            roles=[("unit_submitter", unit)],
            password=row.password,
            must_change=True,
        )
        row.user = "new"

    def forget(row: Row) -> None:
        row.password = None  # the user it was made for was rolled back

    return run_in_savepoints(session, rows, apply, commit=commit, forget=forget)
