"""Annual verification of the archive (年度核查): rounds, each unit's case, the report.

The federation opens a round for a year with a due date. Every unit that has people in the
archive (current records, not deceased) gets one :class:`ArchiveCase` of kind "verification"
run by the engine on ``workflows/verification.toml``, with one :class:`VerificationEntry` per
person. The unit confirms each person or corrects their status and contact details, names its
contact for the round and submits; the federation accepts (the corrections then enter the
archive, versioned and audited, effect ``apply_verification``) or returns the case. Units that
have not submitted by the end of the due day are overdue. Closing the round keeps the report.

Every change is audited in the caller's transaction; nothing here commits.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection
from datetime import date, datetime, time, timedelta
from typing import Any

import phonenumbers
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.attributes import flag_modified

from nomination import engine, labels
from nomination.archive import cases
from nomination.archive.cases import transition_case as transition_case
from nomination.archive.people import mask_id_number
from nomination.audit.chain import Entity, Personal, case_entity, record_event, subject_key
from nomination.db import locked, rows_where, utcnow
from nomination.definitions.forms import validate
from nomination.engine.core import stale_is_conflict
from nomination.errors import (
    Conflict,
    InvalidData,
    NotFound,
    OutOfScope,
    PermissionDenied,
    require_valid,
)
from nomination.i18n import tr
from nomination.labels import PERSON_STATUS_LABELS
from nomination.models import (
    ArchiveCase,
    ArchivePerson,
    HonourRecord,
    Organisation,
    VerificationEntry,
    VerificationRound,
)
from nomination.models.archive import PERSON_STATUSES
from nomination.permissions import (
    can_answer_verification,
    can_follow_verification,
    can_open_verification,
    can_view_verification_case,
    in_subtrees,
    is_user,
    role_paths,
)
from nomination.permissions.verification import ROUND_FOLLOWERS

#: The workflow definition verification cases run on.
WORKFLOW = "verification"
#: What a unit may correct: the status (with the date it took effect) and contact details.
CORRECTABLE = ("status", "effective_date", "phone", "address", "post", "unit_name")
#: The longest text each corrected field takes (the archive's column sizes).
MAX_LENGTHS = {"address": 300, "post": 200, "unit_name": 200}
OUTCOMES = ("confirmed", "corrected")
#: States in which a unit's part counts as done (not overdue).
DONE_STATES = ("submitted", "accepted")
# The pages read the names here; they live in nomination.labels.
ROUND_STATUS_LABELS = labels.VERIFICATION_STATUS_LABELS
OUTCOME_LABELS = labels.VERIFICATION_OUTCOME_LABELS
FIELD_LABELS = labels.VERIFICATION_FIELD_LABELS


# --- reading ---------------------------------------------------------------------------------


def deadline(round_: VerificationRound) -> datetime:
    """Return the end of the round's due day in the configured time zone (an aware moment)."""
    tz = engine.calendar().tz
    return datetime.combine(round_.due_date + timedelta(days=1), time(), tzinfo=tz)


def federations_of(session: Session, user: Any) -> list[Organisation]:
    """Return the federations whose rounds ``user`` may open."""
    paths = role_paths(user, "federation_reviewer")
    if not paths:
        return []
    rows = session.scalars(
        select(Organisation).where(Organisation.kind == "federation").order_by(Organisation.path)
    )
    return [f for f in rows if can_open_verification(user, f)]


def visible_rounds(session: Session, user: Any) -> list[VerificationRound]:
    """Return the rounds ``user`` follows for a federation, newest first."""
    paths = role_paths(user, *ROUND_FOLLOWERS)
    if not is_user(user) or not paths:
        return []
    return list(
        session.scalars(
            select(VerificationRound)
            .join(Organisation, VerificationRound.federation_id == Organisation.id)
            .where(in_subtrees(paths))
            .order_by(VerificationRound.year.desc(), VerificationRound.id.desc())
        )
    )


def unit_cases(session: Session, user: Any) -> list[ArchiveCase]:
    """Return the verification cases of the units ``user`` reports for, newest round first."""
    paths = role_paths(user, "unit_submitter")
    if not is_user(user) or not paths:
        return []
    return list(
        session.scalars(
            select(ArchiveCase)
            .join(Organisation, ArchiveCase.unit_id == Organisation.id)
            .join(VerificationRound, ArchiveCase.verification_round_id == VerificationRound.id)
            .where(
                ArchiveCase.kind == "verification",
                in_subtrees(paths),
            )
            .order_by(VerificationRound.year.desc(), Organisation.path, ArchiveCase.id)
        )
    )


def load_round(session: Session, round_id: int, user: Any) -> VerificationRound:
    """Return the round if ``user`` follows it; 404 alike whether absent or not theirs."""
    round_ = session.get(VerificationRound, round_id)
    if round_ is None:
        raise NotFound("no such verification round")
    federation = session.get(Organisation, round_.federation_id)
    if federation is None or not can_follow_verification(user, federation):
        raise OutOfScope("no such verification round")
    return round_


def load_case(session: Session, case_id: int, user: Any) -> ArchiveCase:
    """Return the verification case if ``user`` may read it; 404 alike if absent or not theirs."""
    return cases.load_case(
        session,
        case_id,
        user,
        kind="verification",
        can_view=can_view_verification_case,
        what="verification case",
    )


def load_entry(session: Session, case: ArchiveCase, entry_id: int) -> VerificationEntry:
    """Return the entry ``entry_id`` of ``case`` (404 when it belongs to another case)."""
    entry = session.get(VerificationEntry, entry_id)
    if entry is None or entry.case_id != case.id:
        raise NotFound("no such person in this verification")
    return entry


def cases_of(session: Session, round_: VerificationRound) -> list[ArchiveCase]:
    """Return the round's cases in the order of the organisation tree."""
    return list(
        session.scalars(
            select(ArchiveCase)
            .join(Organisation, ArchiveCase.unit_id == Organisation.id)
            .where(ArchiveCase.verification_round_id == round_.id)
            .order_by(Organisation.path, ArchiveCase.id)
        )
    )


def entries_of(session: Session, case: ArchiveCase) -> list[VerificationEntry]:
    """Return the case's entries with their people, in the order they were listed."""
    return rows_where(session, VerificationEntry.case_id, case.id)


def counts(session: Session, round_: VerificationRound) -> dict[int, dict[str, int]]:
    """Return per case id: people, confirmed, corrected and unanswered entries."""
    rows = session.execute(
        select(VerificationEntry.case_id, VerificationEntry.outcome, func.count())
        .join(ArchiveCase, VerificationEntry.case_id == ArchiveCase.id)
        .where(ArchiveCase.verification_round_id == round_.id)
        .group_by(VerificationEntry.case_id, VerificationEntry.outcome)
    )
    out: dict[int, dict[str, int]] = defaultdict(
        lambda: {"people": 0, "confirmed": 0, "corrected": 0, "unanswered": 0}
    )
    for case_id, outcome, n in rows:
        out[case_id]["people"] += n
        out[case_id][outcome if outcome in OUTCOMES else "unanswered"] += n
    return out


def is_overdue(case: ArchiveCase, round_: VerificationRound, now: datetime) -> bool:
    """Return whether the unit has not submitted ``case`` and the due day has ended."""
    return case.state not in DONE_STATES and now >= deadline(round_)


def overdue_units(
    session: Session, round_: VerificationRound, now: datetime | None = None
) -> list[ArchiveCase]:
    """Return the cases not submitted (nor accepted) after the end of the due day."""
    now = now or utcnow()
    if now < deadline(round_):
        return []
    return [c for c in cases_of(session, round_) if c.state not in DONE_STATES]


def not_answered(session: Session, round_: VerificationRound) -> list[ArchiveCase]:
    """Return the cases whose unit has not answered: never submitted (nor accepted)."""
    return [c for c in cases_of(session, round_) if c.state not in DONE_STATES]


def entry_view(entry: VerificationEntry) -> dict[str, Any]:
    """Return what a page or the API shows of one person: the ID number masked."""
    person = entry.person
    return {
        "entry_id": entry.id,
        "person_id": person.id,
        "name": person.name,
        "id_number": mask_id_number(person.id_number),
        "status": person.status,
        "status_label": PERSON_STATUS_LABELS.get(person.status, {}),
        "phone": person.phone or "",
        "address": person.address or "",
        "post": person.post or "",
        "unit_name": person.unit_name or "",
        "outcome": entry.outcome,
        "corrections": dict(entry.corrections or {}),
        "recorded_at": entry.recorded_at,
    }


# --- opening a round -------------------------------------------------------------------------


def _people_by_unit(
    session: Session, federation: Organisation
) -> list[tuple[Organisation, list[ArchivePerson]]]:
    """Return, per unit of the federation's tree, its current, living, still honoured people.

    Someone whose every honour was revoked holds none any more: not verified.
    """
    honours = select(HonourRecord.id).where(HonourRecord.person_id == ArchivePerson.id)
    rows = session.execute(
        select(ArchivePerson, Organisation)
        .join(Organisation, ArchivePerson.unit_id == Organisation.id)
        .where(
            ArchivePerson.federation_id == federation.id,
            ArchivePerson.merged_into_id.is_(None),
            ArchivePerson.status != "deceased",
            Organisation.path.startswith(federation.path),
            or_(
                honours.where(HonourRecord.status == "active").exists(),
                ~honours.exists(),
            ),
        )
        .order_by(Organisation.path, ArchivePerson.name_pinyin, ArchivePerson.id)
    )
    units: dict[int, tuple[Organisation, list[ArchivePerson]]] = {}
    for person, unit in rows:
        units.setdefault(unit.id, (unit, []))[1].append(person)
    return list(units.values())


def _round_entity(round_: VerificationRound) -> Entity:
    return Entity("verification_round", round_.id, round_.federation_id)


def open_round(
    session: Session,
    federation: Organisation,
    actor: Any,
    *,
    year: int,
    due_date: date,
    now: datetime | None = None,
) -> VerificationRound:
    """Open ``federation``'s round of ``year``: one case per unit with people, one entry each.

    403 for anyone but the federation's reviewers; 422 naming the field for a year outside
    2000–2100, a year that already has a round or a due date already past; 409 while another
    round of the federation is open.
    """
    now = now or utcnow()
    if not can_open_verification(actor, federation):
        raise PermissionDenied("only the federation's reviewers open verification rounds")
    # Rounds are opened one at a time per federation: lock its row, then look.
    locked(session, federation)
    errors: dict[str, list[str]] = {}
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        errors["year"] = [tr("年度应在 2000 至 2100 之间", "A year from 2000 to 2100")]
    elif session.scalar(
        select(VerificationRound.id).where(
            VerificationRound.federation_id == federation.id, VerificationRound.year == year
        )
    ):
        errors["year"] = [tr("该年度已组织过核查", "This year has a verification round already")]
    today = engine.calendar().local(now).date()
    if not isinstance(due_date, date):
        errors["due_date"] = [tr("请填写截止日期", "Give the due date")]
    elif due_date < today:
        errors["due_date"] = [tr("截止日期不能早于今天", "The due date cannot be in the past")]
    require_valid(errors)
    if session.scalar(
        select(VerificationRound.id).where(
            VerificationRound.federation_id == federation.id, VerificationRound.status == "open"
        )
    ):
        raise Conflict(
            tr(
                "本级另有一轮核查尚未结束,请先结束该轮",
                "Another verification round is still open; close it first",
            )
        )
    wf = engine.pin_definition(session, WORKFLOW)
    round_ = VerificationRound(
        federation_id=federation.id,
        year=year,
        due_date=due_date,
        status="open",
        opened_by_id=getattr(actor, "id", None),
        opened_at=now,
    )
    session.add(round_)
    session.flush()
    opened = []
    for unit, people in _people_by_unit(session, federation):
        case = ArchiveCase(
            kind="verification",
            federation_id=federation.id,
            unit_id=unit.id,
            definition_hash=wf.hash,
            state=wf.initial,
            data={},
            evidence={},
            verification_round_id=round_.id,
            state_entered_at=now,
            created_by_id=getattr(actor, "id", None),
            created_at=now,
        )
        session.add(case)
        session.flush()
        session.add_all(VerificationEntry(case_id=case.id, person_id=p.id) for p in people)
        session.flush()
        opened.append((case, people))
        record_event(
            session,
            actor,
            "verification.case_open",
            case_entity(case),
            role="federation_reviewer",
            after={
                "kind": "verification",
                "round": round_.id,
                "year": year,
                "state": case.state,
                "people": [p.id for p in people],
                "version": case.version,
            },
            now=now,
        )
    record_event(
        session,
        actor,
        "verification_round.open",
        _round_entity(round_),
        role="federation_reviewer",
        after={
            "year": year,
            "due_date": due_date,
            "status": "open",
            "definition": wf.hash,
            "cases": [{"case": c.id, "unit": c.unit_id, "people": len(p)} for c, p in opened],
        },
        now=now,
    )
    return round_


# --- the unit's answers ----------------------------------------------------------------------


def _still_open(session: Session, case: ArchiveCase) -> None:
    """Refuse a change to a case that is no longer with the unit, or whose round closed."""
    wf = engine.workflow_for(case)
    # Shared lock on the round: an answer and the close happen one after the other.
    round_ = session.scalars(
        select(VerificationRound)
        .where(VerificationRound.id == case.verification_round_id)
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    ).one_or_none()
    if round_ is None or round_.status != "open":
        raise Conflict(tr("本轮核查已结束", "The verification round is closed"))
    if not wf.state(case.state).editable:
        raise Conflict(
            tr(
                "核查结果已报送,不能再修改",
                "The verification has been submitted; it can no longer be changed",
            ),
            state=case.state,
            version=case.version,
        )


def _check_version(case: ArchiveCase, version: int | None) -> None:
    if version is not None and version != case.version:
        raise Conflict(
            tr(
                "核查单已被他人修改,请查看最新情况后重试",
                "Someone else changed this verification; see it as it is now and try again",
            ),
            version=case.version,
        )


def _phone(value: str) -> str | None:
    """Return ``value`` as an E.164 number reachable in China, or None when it is not one."""
    try:
        parsed = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def clean_corrections(
    person: ArchivePerson, corrections: dict[str, Any], today: date
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Return (what differs from the person's record, errors by field).

    A field is given as the unit says it should read (a page fills in the record's values);
    only what differs is a correction. An empty phone or address clears it. A new status needs
    the date it took effect, not after ``today``.
    """
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for name in sorted(set(corrections) - set(CORRECTABLE)):
        errors[name] = [tr("不能在核查中更正此项", "Cannot be corrected in a verification")]
    for name in ("address", "post", "unit_name"):
        if name not in corrections:
            continue
        value = corrections[name]
        if value is not None and not isinstance(value, str):
            errors[name] = [tr("须为文字", "Must be text")]
            continue
        text = (value or "").strip()
        if len(text) > MAX_LENGTHS[name]:
            errors[name] = [
                tr(
                    f"不能超过 {MAX_LENGTHS[name]} 字(现为 {len(text)} 字)",
                    f"At most {MAX_LENGTHS[name]} characters (now {len(text)})",
                )
            ]
            continue
        current = getattr(person, name) or ""
        if text != current:
            clean[name] = text if text or name != "address" else None
    if "phone" in corrections:
        value = corrections["phone"]
        text = value.strip() if isinstance(value, str) else ""
        if value is not None and not isinstance(value, str):
            errors["phone"] = [tr("须为文字", "Must be text")]
        elif text:
            number = _phone(text)
            if number is None:
                errors["phone"] = [tr("电话号码无效", "Invalid phone number")]
            # The record may hold the number as typed long ago: compare like with like.
            elif number != (_phone(person.phone or "") or person.phone):
                clean["phone"] = number
        elif person.phone:
            clean["phone"] = None
    status = corrections.get("status")
    if status not in (None, ""):
        if status not in PERSON_STATUSES:
            errors["status"] = [
                tr("未知状态", "Unknown status") + " (" + ", ".join(PERSON_STATUSES) + ")"
            ]
        elif status != person.status:
            effective = _as_date(corrections.get("effective_date"))
            if effective is None:
                errors["effective_date"] = [
                    tr("请填写状态变化的日期", "Give the date the new status took effect")
                ]
            elif effective > today:
                errors["effective_date"] = [
                    tr("日期不能晚于今天", "The date cannot be in the future")
                ]
            else:
                clean["status"] = status
                clean["effective_date"] = effective.isoformat()
    return clean, errors


def answer_entry(
    session: Session,
    entry: VerificationEntry,
    actor: Any,
    *,
    outcome: str,
    corrections: dict[str, Any] | None = None,
    version: int | None = None,
    now: datetime | None = None,
) -> VerificationEntry:
    """Record that the unit confirms a person as recorded, or corrects them.

    The unit's submitters, while the case is with the unit and the round open (409 after);
    ``version`` is the case's version the caller saw (409 when it changed since). A correction
    that changes nothing is refused (422): confirm instead. An answer may be changed until
    the case is submitted; each is audited, the new values as erasable personal data.
    """
    now = now or utcnow()
    case = session.get(ArchiveCase, entry.case_id)
    if case is None or not can_answer_verification(actor, case):
        raise PermissionDenied("only the unit's submitters answer its verification")
    _check_version(case, version)
    _still_open(session, case)
    if outcome not in OUTCOMES:
        raise InvalidData(
            "unknown outcome",
            fields={"outcome": [tr("应为 confirmed 或 corrected", "confirmed or corrected")]},
        )
    person = entry.person
    clean: dict[str, Any] | None = None
    if outcome == "corrected":
        today = engine.calendar().local(now).date()
        clean, errors = clean_corrections(person, corrections or {}, today)
        require_valid(errors)
        if not clean:
            raise InvalidData(
                "nothing differs from the record",
                fields={
                    "corrections": [
                        tr(
                            "所填内容与档案记录一致;如无需更正,请点击“信息无误”",
                            "Nothing differs from the record; confirm it instead",
                        )
                    ]
                },
            )
    before = {"outcome": entry.outcome}
    entry.outcome = outcome
    entry.corrections = clean
    entry.recorded_at = now
    # An answer changes the case: its version moves on, so that a submission (or another
    # answer) made from a page read before is a clear conflict, never a silent overwrite.
    flag_modified(case, "data")
    with stale_is_conflict():
        session.flush()
    record_event(
        session,
        actor,
        "verification.answer",
        case_entity(case),
        role="unit_submitter",
        before=before,
        after={
            "person_id": person.id,
            "outcome": outcome,
            "corrections": clean or {},
            "version": case.version,
        },
        now=now,
        # The corrected values are the person's data: kept erasable, out of the hashed record.
        personal=Personal(subject_key("archive_person", person.id), (("after", "corrections"),)),
    )
    return entry


def update_case_data(
    session: Session,
    case: ArchiveCase,
    actor: Any,
    data: dict[str, Any],
    *,
    version: int | None = None,
    now: datetime | None = None,
) -> list[str]:
    """Save the unit's contact for the round (the case's form); return the changed fields."""
    now = now or utcnow()
    if not can_answer_verification(actor, case):
        raise PermissionDenied("only the unit's submitters fill in its verification")
    _check_version(case, version)
    _still_open(session, case)
    wf = engine.workflow_for(case)
    clean, errors = validate(wf.nominee_form, data, strict=False)
    require_valid(errors)
    old = dict(case.data or {})
    changed = sorted(k for k in set(old) | set(clean) if old.get(k) != clean.get(k))
    if not changed:
        return []
    case.data = clean
    with stale_is_conflict():
        session.flush()
    record_event(
        session,
        actor,
        "verification.case_update",
        case_entity(case),
        role="unit_submitter",
        before={"data": {k: old.get(k) for k in changed}},
        after={"data": {k: clean.get(k) for k in changed}, "version": case.version},
        now=now,
        personal=Personal(subject_key("case", case.id), (("before", "data"), ("after", "data"))),
    )
    return changed


# --- the report and closing ------------------------------------------------------------------


def _build_report(session: Session, round_: VerificationRound, now: datetime) -> dict[str, Any]:
    """Return the round's result as it stands at ``now``: per unit, and totals."""
    tally = counts(session, round_)
    status_changes: Counter[str] = Counter()
    for (new_status,) in session.execute(
        select(VerificationEntry.corrections)
        .join(ArchiveCase, VerificationEntry.case_id == ArchiveCase.id)
        .where(
            ArchiveCase.verification_round_id == round_.id,
            VerificationEntry.outcome == "corrected",
        )
    ):
        if new_status and new_status.get("status"):
            status_changes[new_status["status"]] += 1
    units: list[dict[str, Any]] = []
    for case in cases_of(session, round_):
        row = tally[case.id]
        units.append(
            {
                "case_id": case.id,
                "unit_id": case.unit_id,
                "unit_name": case.unit.name,
                "unit_name_en": case.unit.name_en,
                "state": case.state,
                "people": row["people"],
                "confirmed": row["confirmed"],
                "corrected": row["corrected"],
                "unanswered": row["unanswered"],
                "overdue": is_overdue(case, round_, now),
            }
        )
    totals = {
        "units": len(units),
        "people": sum(u["people"] for u in units),
        "confirmed": sum(u["confirmed"] for u in units),
        "corrected": sum(u["corrected"] for u in units),
        "unanswered": sum(u["unanswered"] for u in units),
        "submitted_units": sum(1 for u in units if u["state"] == "submitted"),
        "accepted_units": sum(1 for u in units if u["state"] == "accepted"),
        "overdue_units": sum(1 for u in units if u["overdue"]),
        "not_answered_units": sum(1 for u in units if u["state"] not in DONE_STATES),
        # Corrections that entered the archive: those of the cases the federation accepted.
        "corrections_applied": sum(u["corrected"] for u in units if u["state"] == "accepted"),
        "status_changes": dict(sorted(status_changes.items())),
    }
    return {
        "year": round_.year,
        "due_date": round_.due_date.isoformat(),
        "deadline": deadline(round_).isoformat(),
        "as_of": now.isoformat(),
        "final": round_.status == "closed",
        "units": units,
        "overdue": [u["unit_id"] for u in units if u["overdue"]],
        # Units that never sent their answers (kept at closing: the round ended without them).
        "not_answered": [u["unit_id"] for u in units if u["state"] not in DONE_STATES],
        "totals": totals,
    }


def _with_not_answered(kept: dict[str, Any]) -> dict[str, Any]:
    """Return a kept report with its non-answering units (those kept before they were named)."""
    if "not_answered" in kept:
        return kept
    silent = [u["unit_id"] for u in kept["units"] if u["state"] not in DONE_STATES]
    totals = {**kept["totals"], "not_answered_units": len(silent)}
    return {**kept, "not_answered": silent, "totals": totals}


def report(round_: VerificationRound, now: datetime | None = None) -> dict[str, Any]:
    """Return the round's report: the one kept at closing, else the result so far."""
    if round_.report is not None:
        return _with_not_answered(round_.report)
    session = object_session(round_)
    assert session is not None, "the round must belong to a session"
    return _build_report(session, round_, now or utcnow())


def close_round(
    session: Session,
    round_: VerificationRound,
    actor: Any,
    *,
    acknowledged: Collection[int] = (),
    now: datetime | None = None,
) -> VerificationRound:
    """Close the round and keep its report (units not done by the due day are overdue).

    403 for anyone but the federation's reviewers; 409 when the round is closed already,
    while a unit's submission awaits the federation's check (accept or return it first, so
    that the report says what entered the archive), or while units have not answered and
    ``acknowledged`` (the case ids the reviewer was shown and confirmed) leaves one out:
    the conflict names them. The units that did not answer are kept in the report.
    """
    now = now or utcnow()
    federation = session.get(Organisation, round_.federation_id)
    if federation is None or not can_open_verification(actor, federation):
        raise PermissionDenied("only the federation's reviewers close verification rounds")
    round_ = locked(session, round_)
    if round_.status != "open":
        raise Conflict(tr("本轮核查已结束", "The verification round is already closed"))
    waiting = [c for c in cases_of(session, round_) if c.state == "submitted"]
    if waiting:
        names = "、".join(c.unit.name for c in waiting)
        raise Conflict(
            tr(
                f"以下单位已报送、尚待审核,请先审核通过或退回:{names}",
                f"These units' submissions await your check; accept or return them first: {names}",
            ),
            cases=[c.id for c in waiting],
        )
    silent = not_answered(session, round_)
    unconfirmed = [c for c in silent if c.id not in set(acknowledged)]
    if unconfirmed:
        names = "、".join(c.unit.name for c in silent)
        raise Conflict(
            tr(
                f"以下单位尚未报送核查结果,结束后不能再报送,请确认:{names}",
                f"These units have not answered; they cannot once the round is closed. "
                f"Confirm to close: {names}",
            ),
            not_answered=[c.id for c in silent],
        )
    round_.status = "closed"
    round_.closed_at = now
    result = _build_report(session, round_, now)
    result["closed_by"] = {"id": getattr(actor, "id", None), "name": actor.name}
    round_.report = result
    session.flush()
    record_event(
        session,
        actor,
        "verification_round.close",
        _round_entity(round_),
        role="federation_reviewer",
        before={"status": "open"},
        after={
            "status": "closed",
            "totals": result["totals"],
            "overdue": result["overdue"],
            "not_answered": result["not_answered"],
        },
        now=now,
    )
    return round_
