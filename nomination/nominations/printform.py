"""The recommendation and approval form (推荐审批表) as the federation prints it for signatures.

``printed_form`` gathers what the form shows, in the current language: the nominee form's fields
with their labels and display values (from the definition the nomination is pinned to), the
unit's democratic recommendation, and one box per level for its opinion (意见), signature, seal
and date — filled in where the level has given its opinion, left blank where it has not.
``render_pdf`` turns the page into a PDF with WeasyPrint and the Noto CJK fonts.

What the boxes show follows the definitions, not trigger names: an opinion belongs to the box
(the definition's ``print_boxes``) of the state its transition leaves; a transition that sends
the nomination back to an editable state (a return) is a working note, not an opinion to sign,
and is not printed; and only the opinions given since the unit last submitted count, so that a
resubmitted form does not carry the signatures of the round before. Objections and their
verification are confidential to the federation's handlers and are never printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import format_date
from sqlalchemy import select
from sqlalchemy.orm import Session

from nomination import engine
from nomination.definitions.forms import FieldDef, FormDef
from nomination.engine.definitions import TransitionDef, Workflow
from nomination.i18n import pick
from nomination.models import AuditEvent, Nomination, evidence
from nomination.notices import publication as notices
from nomination.permissions.privacy import masked_data
from nomination.uploads import safe_filename

_UNIT_LEVEL = {"zh": "推荐单位意见", "en": "Nominating unit's opinion"}

#: Column labels for the keys of repeatable rows when the definition names none (prior honours).
_KNOWN_COLUMNS: dict[str, dict[str, str]] = {
    "title": {"zh": "荣誉称号", "en": "Honour"},
    "grantor": {"zh": "授予单位", "en": "Granted by"},
    "year": {"zh": "年份", "en": "Year"},
}

#: A field whose shown value is longer than this takes a whole row of the form.
_SHORT_VALUE = 24


@dataclass(frozen=True)
class Table:
    """A small table: a repeatable field's rows (e.g. prior honours: title, grantor, year)."""

    columns: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class PrintedField:
    """One field as printed: its label and its value, as text or as a table."""

    label: str
    value: str
    table: Table | None = None
    wide: bool = False


@dataclass(frozen=True)
class OpinionBox:
    """One level's box: its opinion, signature and seal, and the date, once it is given."""

    key: str
    title: str
    text: str = ""
    details: list[tuple[str, str]] = field(default_factory=list)
    signed_on: str | None = None

    @property
    def given(self) -> bool:
        """Return whether the level has given its opinion (the box is filled in)."""
        return self.signed_on is not None


@dataclass(frozen=True)
class PrintedForm:
    """Everything the printed form shows, in one language."""

    title: str
    unit: str
    nominee: str
    number: int
    version: int
    grid: list[list[PrintedField]]
    recommendation: list[list[PrintedField]]
    boxes: list[OpinionBox]

    @property
    def filename(self) -> str:
        """Return the PDF's file name: the form's title and the nominee's name (or number)."""
        stem = f"{self.title}-{self.nominee}" if self.nominee else f"{self.title}-{self.number}"
        return safe_filename(f"{stem}.pdf", "pdf")


# --- values --------------------------------------------------------------------------------


def _date_text(value: date | datetime) -> str:
    """Return a date as the form prints it (e.g. "2026年11月18日"), in the configured zone."""
    if isinstance(value, datetime):
        value = value.astimezone(notices.timezone()).date()
    return format_date(value, "long")


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return pick({"zh": "是", "en": "Yes"} if value else {"zh": "否", "en": "No"})
    return str(value)


def _columns(fd: FieldDef, items: list[dict[str, Any]]) -> list[tuple[str, str, Any]]:
    """Return (key, label, column definition or None) of the columns of a repeatable field.

    The definition's columns come first; keys it does not name follow, the known ones in their
    order and the rest by name (PostgreSQL's JSONB does not keep the order keys were written in).
    """
    columns = [(c.name, pick(c.label), c) for c in getattr(fd, "columns", ())]
    keys = {key for item in items for key in item} - {key for key, _, _ in columns}
    columns += [(key, pick(label), None) for key, label in _KNOWN_COLUMNS.items() if key in keys]
    columns += [(key, key, None) for key in sorted(keys - set(_KNOWN_COLUMNS))]
    return columns


def _table(fd: FieldDef, items: list[dict[str, Any]]) -> Table:
    """Return a list of rows (dicts) as a table, each value shown as its column defines."""
    columns = _columns(fd, items)
    return Table(
        columns=[label for _, label, _ in columns],
        rows=[
            [
                _printed_field(column, item.get(key)).value if column else _scalar(item.get(key))
                for key, _, column in columns
            ]
            for item in items
        ],
    )


def _printed_field(fd: FieldDef, value: Any) -> PrintedField:
    """Return one field's label and value as the form prints them."""
    label = pick(fd.label)
    if isinstance(value, dict):
        value = [value]
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            return PrintedField(label, "", table=_table(fd, value), wide=True)
        text = "、".join(_scalar(v) for v in value)
        return PrintedField(label, text, wide=len(text) > _SHORT_VALUE)
    if fd.type == "date" and isinstance(value, str) and value:
        try:
            return PrintedField(label, _date_text(date.fromisoformat(value)))
        except ValueError:
            pass
    text = fd.display(value)
    return PrintedField(label, text, wide=fd.type == "textarea" or len(text) > _SHORT_VALUE)


def printed_fields(
    defn: FormDef,
    data: dict[str, Any],
    *,
    leave_out: tuple[str, ...] = (),
    skip_empty_optional: bool = False,
) -> list[PrintedField]:
    """Return every field of ``defn`` (but ``leave_out``) with its value in ``data``.

    The nominee's form keeps every box, filled or not, as the paper form does; a record such
    as the unit's recommendation may leave out the optional fields it left empty.
    """
    return [
        _printed_field(f, data.get(f.name))
        for f in defn.fields
        if f.name not in leave_out
        and not (skip_empty_optional and not f.required and data.get(f.name) in (None, "", []))
    ]


def grid(fields: list[PrintedField]) -> list[list[PrintedField]]:
    """Return the fields in the form's rows: two short fields side by side, a wide one alone."""
    rows: list[list[PrintedField]] = []
    pending: PrintedField | None = None
    for f in fields:
        if f.wide:
            if pending is not None:
                rows.append([pending])
                pending = None
            rows.append([f])
        elif pending is None:
            pending = f
        else:
            rows.append([pending, f])
            pending = None
    if pending is not None:
        rows.append([pending])
    return rows


# --- opinions ------------------------------------------------------------------------------


def _transition(wf: Workflow, trigger: str, role: str | None) -> TransitionDef | None:
    """Return the transition an opinion was given with (a trigger may leave several states)."""
    candidates = [t for t in wf.transitions if t.trigger == trigger]
    return next((t for t in candidates if role in t.roles), candidates[0] if candidates else None)


def _is_submission(wf: Workflow, t: TransitionDef | None) -> bool:
    """Return whether ``t`` is the unit submitting (again): from editable states onwards."""
    if t is None or t.dest not in wf.states:
        return False
    dest = wf.states[t.dest]
    leaves_editable = all(s in wf.states and wf.states[s].editable for s in t.sources)
    return leaves_editable and not dest.editable and not dest.terminal


def _is_return(wf: Workflow, t: TransitionDef) -> bool:
    """Return whether ``t`` sends the nomination back to an editable state (a return)."""
    return t.dest in wf.states and wf.states[t.dest].editable


def _current_round(wf: Workflow, opinions: list[evidence.Opinion]) -> list[evidence.Opinion]:
    """Return the opinions given since the unit last submitted the nomination."""
    start = 0
    for i, o in enumerate(opinions):
        if _is_submission(wf, _transition(wf, o.get("trigger", ""), o.get("role"))):
            start = i + 1
    return opinions[start:]


def _submitted_at(session: Session, wf: Workflow, nomination: Nomination) -> datetime | None:
    """Return when the unit last submitted the nomination (recommended it, or resubmitted)."""
    triggers = [t.trigger for t in wf.transitions if _is_submission(wf, t)]
    if not triggers:
        return None
    return session.scalar(
        select(AuditEvent.occurred_at)
        .where(
            AuditEvent.entity_type == "nomination",
            AuditEvent.entity_id == str(nomination.id),
            AuditEvent.action.in_([f"transition.{t}" for t in triggers]),
        )
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    )


def _unit_box(session: Session, wf: Workflow, nomination: Nomination) -> OpinionBox:
    """Return the unit's box: its recommendation opinion, dated when it last submitted."""
    recommendation = evidence.unit_recommendation(nomination)
    submitted = _submitted_at(session, wf, nomination) if recommendation else None
    return OpinionBox(
        key="unit",
        title=pick(_UNIT_LEVEL),
        text=str(recommendation.get("comment", "")),
        signed_on=_date_text(submitted) if submitted is not None else None,
    )


def _level_boxes(wf: Workflow, nomination: Nomination) -> list[OpinionBox]:
    """Return the boxes of the levels after the unit, each with its latest opinion if given."""
    given: dict[str, evidence.Opinion] = {}
    for o in _current_round(wf, evidence.opinions(nomination)):
        t = _transition(wf, o.get("trigger", ""), o.get("role"))
        if t is None or _is_return(wf, t):
            continue
        for box in wf.print_boxes:
            if box.states & set(t.sources):
                given[box.key] = o
    # The decision's number and date go into the box of the level that records the decision.
    deciding = {s for t in wf.transitions if "record_decision" in t.effects for s in t.sources}
    boxes = []
    for box in wf.print_boxes:
        key = box.key
        opinion = given.get(key)
        if opinion is None:
            boxes.append(OpinionBox(key=key, title=pick(box.title)))
            continue
        at = datetime.fromisoformat(opinion["at"]) if opinion.get("at") else None
        details: list[tuple[str, str]] = []
        signed_on = _date_text(at) if at is not None else ""
        if box.states & deciding and nomination.decision_number:
            details.append(
                (pick({"zh": "表彰决定文号", "en": "Decision number"}), nomination.decision_number)
            )
            if nomination.decision_date is not None:
                signed_on = _date_text(nomination.decision_date)
                details.append((pick({"zh": "决定日期", "en": "Decision date"}), signed_on))
        boxes.append(
            OpinionBox(
                key=key,
                title=pick(box.title),
                text=str(opinion.get("text", "")),
                details=details,
                signed_on=signed_on,
            )
        )
    return boxes


# --- the form ------------------------------------------------------------------------------


def form_title(nomination: Nomination, wf: Workflow) -> str:
    """Return e.g. "2026年首都劳动奖章推荐审批表" from the campaign's year and the award's title."""
    campaign = nomination.campaign
    award = campaign.award(nomination.kind)
    zh = award.title if award is not None else pick(wf.title, "zh")
    en = (award.title_en or award.title) if award is not None else pick(wf.title, "en")
    year = str(campaign.year)
    return pick(
        {
            "zh": f"{'' if zh.startswith(year) else f'{year}年'}{zh}推荐审批表",
            "en": f"{en}: nomination and approval form, {year}",
        }
    )


def printed_form(
    session: Session, nomination: Nomination, *, personal_in_clear: bool = False
) -> PrintedForm:
    """Return what the printed form of ``nomination`` shows, in the current language.

    Sensitive values (ID number, phone) are masked unless ``personal_in_clear``: the printed
    form follows the masking policy of the page it is printed from.
    """
    wf = engine.workflow_for(nomination)
    recommendation = evidence.unit_recommendation(nomination)
    recommend_form = next(
        (
            wf.forms[t.form]
            for t in wf.transitions
            if "record_unit_recommendation" in t.effects and t.form
        ),
        None,
    )
    # The unit's own opinion goes into its box; the rest of its record is printed as fields.
    shown_recommendation = (
        printed_fields(
            recommend_form, recommendation, leave_out=("comment",), skip_empty_optional=True
        )
        if recommend_form is not None and recommendation
        else []
    )
    unit = nomination.unit
    return PrintedForm(
        title=form_title(nomination, wf),
        unit=pick({"zh": unit.name, "en": unit.name_en or unit.name}),
        nominee=nomination.nominee_name or "",
        number=nomination.id,
        version=nomination.version,
        grid=grid(
            printed_fields(
                wf.nominee_form,
                masked_data(wf.nominee_form, nomination.data or {}, personal_in_clear),
            )
        ),
        recommendation=grid(shown_recommendation),
        boxes=[_unit_box(session, wf, nomination), *_level_boxes(wf, nomination)],
    )


def render_pdf(html: str) -> bytes:
    """Return the PDF of a standalone page; it may fetch nothing (no files, no network)."""
    # Imported when a PDF is asked for: loading WeasyPrint and its fonts takes a moment.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()
