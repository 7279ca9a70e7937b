"""Searching the archive: people by name (characters, pinyin, initials) and by their honours.

:func:`search` finds the people ``user`` may see (:func:`person_scope`) whose name matches
``q`` and who hold an honour of the
title, year, level and type asked for, in a status, working under a unit. :func:`search_units`
does the same for the certificates and pioneer titles of units and teams, by holder name.

Every name match is a prefix on an indexed column, so that a search of 100,000 records reads
an index range, not the table (``bench/archive_search.py`` measures it). Prefixes are ranges
(``key >= 'zhangjian' AND key < 'zhangjiao'``), never ``LIKE``: a range serves the b-tree on
every backend, in every collation the keys allow, and in PostgreSQL's cached generic plans,
where ``LIKE $1`` cannot use an index at all:

- pinyin and initials ("zhangjian", "zjg") are ``[a-z]`` keys kept by ``archive.pinyin_keys``,
  which sort alike in every collation: the plain b-trees ``ix_archive_person_pinyin`` and
  ``_initials`` serve them on both backends;
- characters ("张建") are a prefix of ``name``: on SQLite its b-tree compares code points; on
  PostgreSQL the database collation need not (zh_CN sorts by pinyin), so the range is taken in
  the "C" collation, which an index ``(name COLLATE "C")`` serves
  (:data:`POSTGRES_PATTERN_INDEXES`; without it the search is right but scans). A name typed
  in Latin letters ("Anna") keeps the database collation and its plain index ``ix_..._name``:
  ASCII letters keep a prefix's names together in every collation.

A Chinese query also finds the homophones of the whole name (张建国 finds 章建国: same
``name_pinyin``), an equality on the same index. Only when nothing starts with the characters
typed does the search look for names containing them ("建国" finds 张建国): a scan, said so
in the result's ``matched``.

Who sees whom is the rule of ``queries.person_scope`` and ``permissions.can_view_person``
(:func:`person_scope`), with the organisation paths written into the statement: bound, they
let PostgreSQL reuse a generic plan that guesses one organisation below a path, and join the
people to each organisation by a scan of them all (17 s once on 100,000 people).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    and_,
    case,
    false,
    func,
    literal,
    or_,
    select,
    union,
)
from sqlalchemy.orm import Session, selectinload

from nomination.archive.people import pinyin_keys
from nomination.errors import require_valid
from nomination.i18n import pick
from nomination.labels import (
    HONOUR_LEVEL_LABELS,
    HONOUR_TYPE_LABELS,
    PERSON_STATUS_LABELS,
)
from nomination.models import ArchivePerson, HonourRecord, Organisation
from nomination.models.archive import HONOUR_LEVELS, HONOUR_TYPES, PERSON_STATUSES
from nomination.permissions import (
    ARCHIVE_MANAGERS,
    ARCHIVE_READERS,
    archive_scope,
    in_subtrees,
    role_paths,
)

#: Page size when none is given, and the largest page.
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
#: The first and the last year an honour may carry.
FIRST_YEAR, LAST_YEAR = 1950, 2100

#: How statuses, levels and honour types are named on pages, in files and in the template.
STATUS_LABELS = PERSON_STATUS_LABELS
LEVEL_LABELS = HONOUR_LEVEL_LABELS
TYPE_LABELS = HONOUR_TYPE_LABELS

#: The indexes a search by characters needs on PostgreSQL to read an index (the prefix range
#: is taken in the "C" collation; SQLite and the pinyin keys need none). For a migration: this
#: module creates nothing.
POSTGRES_PATTERN_INDEXES = (
    'CREATE INDEX ix_archive_person_name_c ON archive_person (name COLLATE "C")',
    'CREATE INDEX ix_honour_record_holder_name_c ON honour_record (holder_name COLLATE "C")',
)

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")
_NOT_LETTER = re.compile(r"[^a-z]")
_SPACE = re.compile(r"\s+")
#: Code points whose successor cannot be a bound of a range (the last before the surrogates,
#: the last of all): their prefix is matched by LIKE alone.
_NO_SUCCESSOR = (0xD7FF, 0x10FFFF)


def label(labels: dict[str, dict[str, str]], value: str | None) -> str:
    """Return the name of ``value`` in the current language (the value itself if unknown)."""
    return pick(labels.get(value or "", value or ""))


@dataclass(frozen=True)
class NameQuery:
    """What was typed, read: characters as typed, and the pinyin keys to look up."""

    #: The text as typed, NFKC, trimmed (inner spaces dropped when it holds characters).
    text: str
    #: Whether it holds Chinese characters.
    han: bool
    #: Lower-case letters only, for the pinyin and initials keys ("" when there are none).
    letters: str
    #: The full pinyin of a Chinese query (its homophones share it).
    pinyin: str


def read_query(q: str | None) -> NameQuery | None:
    """Return ``q`` read for a name search, or None when it holds nothing to search."""
    text = unicodedata.normalize("NFKC", q or "").strip()
    if not text:
        return None
    han = bool(_HAN.search(text))
    if han:
        text = _SPACE.sub("", text)
        return NameQuery(text=text, han=True, letters="", pinyin=pinyin_keys(text)[0])
    return NameQuery(text=text, han=False, letters=_NOT_LETTER.sub("", text.lower()), pinyin="")


def _successor(prefix: str) -> str | None:
    """Return the least string greater than every string that starts with ``prefix``."""
    last = ord(prefix[-1])
    if last in _NO_SUCCESSOR:
        return None
    return prefix[:-1] + chr(last + 1)


def prefix_match(column: Any, prefix: str, dialect: str, *, letters: bool = False) -> Any:
    """Return a condition "``column`` starts with ``prefix``" that an index on it can serve.

    ``letters``: the column and the prefix hold lower-case ``[a-z]`` only (pinyin keys), which
    sort alike in every collation.
    """
    upper = _successor(prefix)
    if upper is None:
        return column.startswith(prefix, autoescape=True)
    if dialect == "postgresql" and not letters and not prefix.isascii():
        # Code point order, whatever the database's collation.
        column = column.collate("C")
    return and_(column >= prefix, column < upper)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def name_match(query: NameQuery, dialect: str) -> ColumnElement[bool]:
    """Return the indexed condition of a name search: characters, pinyin, initials."""
    clauses = [prefix_match(ArchivePerson.name, query.text, dialect)]
    if query.han and query.pinyin:
        clauses.append(ArchivePerson.name_pinyin == query.pinyin)
    if query.letters:
        clauses.append(
            prefix_match(ArchivePerson.name_pinyin, query.letters, dialect, letters=True)
        )
        clauses.append(
            prefix_match(ArchivePerson.name_initials, query.letters, dialect, letters=True)
        )
    return or_(*clauses)


def _contains(column: Any, text: str) -> ColumnElement[bool]:
    return column.contains(text, autoescape=True)


# --- the filters -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """A search's checked filters (None: not filtered on)."""

    q: str | None = None
    title: str | None = None
    year: int | None = None
    level: str | None = None
    status: str | None = None
    unit_id: int | None = None
    honour_type: str | None = None

    @property
    def on_honours(self) -> bool:
        """Whether a filter concerns the honours (title, year, level, type)."""
        return any(v is not None for v in (self.title, self.year, self.level, self.honour_type))


def check_filters(
    *,
    q: str | None = None,
    title: str | None = None,
    year: int | str | None = None,
    level: str | None = None,
    status: str | None = None,
    unit_id: int | str | None = None,
    honour_type: str | None = None,
) -> Filters:
    """Return the filters checked; raise InvalidData naming each one that is not valid."""
    errors: dict[str, list[str]] = {}

    def whole(name: str, value: Any, low: int, high: int) -> int | None:
        if value in (None, ""):
            return None
        try:
            number = int(value)
        except (TypeError, ValueError):
            errors[name] = [pick({"zh": "应为整数", "en": "Enter a whole number"})]
            return None
        if not low <= number <= high:
            errors[name] = [pick({"zh": f"应在 {low} 到 {high} 之间", "en": f"{low} to {high}"})]
            return None
        return number

    def one_of(name: str, value: str | None, allowed: Sequence[str]) -> str | None:
        if value in (None, ""):
            return None
        if value not in allowed:
            errors[name] = [pick({"zh": "可选:", "en": "One of: "}) + ", ".join(allowed)]
            return None
        return value

    filters = Filters(
        q=(q or "").strip() or None,
        title=unicodedata.normalize("NFKC", title or "").strip() or None,
        year=whole("year", year, FIRST_YEAR, LAST_YEAR),
        level=one_of("level", level, HONOUR_LEVELS),
        status=one_of("status", status, PERSON_STATUSES),
        unit_id=whole("unit_id", unit_id, 1, 2**31 - 1),
        honour_type=one_of("honour_type", honour_type, HONOUR_TYPES),
    )
    require_valid(errors, "some filters are invalid")
    return filters


def _below(org_id: int) -> Select:
    """Return a query of the ids of the organisation ``org_id`` and those below it."""
    path = select(Organisation.path).where(Organisation.id == org_id).scalar_subquery()
    return select(Organisation.id).where(Organisation.path.startswith(path))


def _honour_clauses(filters: Filters) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if filters.title is not None:
        clauses.append(_contains(HonourRecord.title, filters.title))
    if filters.year is not None:
        clauses.append(HonourRecord.year == filters.year)
    if filters.level is not None:
        clauses.append(HonourRecord.level == filters.level)
    if filters.honour_type is not None:
        clauses.append(HonourRecord.honour_type == filters.honour_type)
    return clauses


def _under(paths: list[str]) -> Select:
    """Return a query of the ids of the organisations at or below any of ``paths``."""
    # Written into the statement: a bound path makes PostgreSQL's generic plan guess that one
    # organisation matches, and join the people to it by scanning them once per organisation.
    return select(Organisation.id).where(
        or_(*(Organisation.path.startswith(literal(p, literal_execute=True)) for p in paths))
    )


def person_scope(user: Any) -> ColumnElement[bool]:
    """Return the WHERE clause of the people ``user`` may see: ``queries.person_scope``'s rule.

    The federation's managers and readers see its every record; a unit's submitters the people
    working there or holding an honour of theirs.
    """
    clauses: list[ColumnElement[bool]] = []
    paths = role_paths(user, *ARCHIVE_MANAGERS, *ARCHIVE_READERS)
    if paths:
        clauses.append(ArchivePerson.federation_id.in_(_under(paths)))
    units = role_paths(user, "unit_submitter")
    if units:
        # One list of ids from both indexes (where they work, whose honours the units hold):
        # a unit's few hundred people are looked up, not found by reading every record.
        own: CompoundSelect[int] = union(
            select(ArchivePerson.id).where(ArchivePerson.unit_id.in_(_under(units))),
            select(HonourRecord.person_id).where(HonourRecord.unit_id.in_(_under(units))),
        )
        clauses.append(ArchivePerson.id.in_(own))
    return or_(*clauses) if clauses else false()


def people_query(user: Any, filters: Filters, name: ColumnElement[bool] | None = None) -> Select:
    """Return a query of the people ``user`` may see that pass ``filters`` and ``name``."""
    query = select(ArchivePerson).where(person_scope(user), ArchivePerson.merged_into_id.is_(None))
    if name is not None:
        query = query.where(name)
    if filters.on_honours:
        # One honour meets every honour filter: "national in 2020", not "national, and 2020".
        # An IN list read through the (year, level) index, not a probe per person.
        holders = select(HonourRecord.person_id).where(
            HonourRecord.person_id.is_not(None), *_honour_clauses(filters)
        )
        query = query.where(ArchivePerson.id.in_(holders))
    if filters.status is not None:
        query = query.where(ArchivePerson.status == filters.status)
    if filters.unit_id is not None:
        query = query.where(ArchivePerson.unit_id.in_(_below(filters.unit_id)))
    return query


# --- people ----------------------------------------------------------------------------------


@dataclass
class SearchResult:
    """A page of people found, with how many there are in all."""

    rows: list[ArchivePerson]
    total: int
    limit: int
    offset: int
    #: How the name matched: "all" (no name asked), "prefix" (indexed), "contains" (nothing
    #: started with the characters typed, so names containing them are shown).
    matched: str


def _count(session: Session, query: Select) -> int:
    return session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def _page(limit: int, offset: int) -> tuple[int, int]:
    return max(1, min(int(limit), MAX_LIMIT)), max(0, int(offset))


@dataclass
class Matching:
    """The people query of a search, its order, how the name matched and how many match."""

    query: Select
    order: list[Any]
    matched: str
    total: int


def matching(session: Session, user: Any, filters: Filters) -> Matching:
    """Return the query of the people ``user`` may see that match ``filters``, counted.

    A name is looked up by prefix (indexed); a Chinese name that nothing starts with, by the
    names containing it.
    """
    query_text = read_query(filters.q)
    if query_text is None:
        query = people_query(user, filters)
        order: list[Any] = [ArchivePerson.name_pinyin, ArchivePerson.name, ArchivePerson.id]
        return Matching(query, order, "all", _count(session, query))
    query = people_query(user, filters, name_match(query_text, _dialect(session)))
    # Names that start with what was typed first, then homophones and pinyin matches.
    exact = case((ArchivePerson.name == query_text.text, 0), else_=1)
    order = [exact, ArchivePerson.name_pinyin, ArchivePerson.name, ArchivePerson.id]
    total = _count(session, query)
    if total == 0 and query_text.han:
        query = people_query(user, filters, _contains(ArchivePerson.name, query_text.text))
        return Matching(query, order, "contains", _count(session, query))
    return Matching(query, order, "prefix", total)


def search(
    session: Session,
    user: Any,
    *,
    q: str | None = None,
    title: str | None = None,
    year: int | None = None,
    level: str | None = None,
    status: str | None = None,
    unit_id: int | None = None,
    honour_type: str | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> SearchResult:
    """Return a page of the people ``user`` may see that match, by name then pinyin.

    Raises InvalidData naming a filter that is not valid (an unknown level, a year out of
    range). Each person comes with their honours and unit loaded.
    """
    filters = check_filters(
        q=q,
        title=title,
        year=year,
        level=level,
        status=status,
        unit_id=unit_id,
        honour_type=honour_type,
    )
    limit, offset = _page(limit, offset)
    found = matching(session, user, filters)
    rows = list(
        session.scalars(
            found.query.options(
                selectinload(ArchivePerson.honours), selectinload(ArchivePerson.unit)
            )
            .order_by(*found.order)
            .limit(limit)
            .offset(offset)
        )
    )
    return SearchResult(rows, found.total, limit, offset, found.matched)


# --- units and teams -------------------------------------------------------------------------


@dataclass
class UnitResult:
    """A page of the certificates and pioneer titles of units and teams found."""

    rows: list[HonourRecord]
    total: int
    limit: int
    offset: int
    matched: str


def units_query(user: Any, filters: Filters, name: ColumnElement[bool] | None = None) -> Select:
    """Return a query of the unit and team honours ``user`` may see that pass ``filters``."""
    query = (
        select(HonourRecord)
        .join(Organisation, HonourRecord.unit_id == Organisation.id)
        .where(archive_scope(user), HonourRecord.kind.in_(("unit", "team")))
        .where(*_honour_clauses(filters))
    )
    if name is not None:
        query = query.where(name)
    if filters.unit_id is not None:
        query = query.where(HonourRecord.unit_id.in_(_below(filters.unit_id)))
    if filters.status is not None:
        # People have statuses; a unit's honour has none of those: nothing matches.
        query = query.where(false())
    return query


def search_units(
    session: Session,
    user: Any,
    *,
    q: str | None = None,
    title: str | None = None,
    year: int | None = None,
    level: str | None = None,
    unit_id: int | None = None,
    honour_type: str | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> UnitResult:
    """Return a page of the honours of units and teams ``user`` may see, by holder name."""
    filters = check_filters(
        q=q, title=title, year=year, level=level, unit_id=unit_id, honour_type=honour_type
    )
    limit, offset = _page(limit, offset)
    query_text = read_query(filters.q)
    matched = "all"
    name = None
    if query_text is not None:
        matched = "prefix"
        name = prefix_match(HonourRecord.holder_name, query_text.text, _dialect(session))
    query = units_query(user, filters, name)
    total = _count(session, query)
    if total == 0 and query_text is not None:
        matched = "contains"
        query = units_query(user, filters, _contains(HonourRecord.holder_name, query_text.text))
        total = _count(session, query)
    rows = list(
        session.scalars(
            query.options(selectinload(HonourRecord.unit), selectinload(HonourRecord.team))
            .order_by(HonourRecord.year.desc(), HonourRecord.holder_name, HonourRecord.id)
            .limit(limit)
            .offset(offset)
        )
    )
    return UnitResult(rows=rows, total=total, limit=limit, offset=offset, matched=matched)


# --- what the filters offer ------------------------------------------------------------------


def visible_units(session: Session, user: Any) -> list[Organisation]:
    """Return the committees and units whose people ``user`` may filter on, in tree order."""
    paths = _scope_paths(user)
    if not paths:
        return []
    return list(
        session.scalars(
            select(Organisation)
            .where(
                Organisation.kind.in_(("committee", "unit")),
                in_subtrees(paths),
            )
            .order_by(Organisation.path)
        )
    )


def _scope_paths(user: Any) -> list[str]:
    """Return the subtrees over which ``user`` reads the archive."""
    roles = (*ARCHIVE_MANAGERS, *ARCHIVE_READERS, "unit_submitter", "committee_reviewer")
    return sorted(set(role_paths(user, *roles)))


# --- statistics ------------------------------------------------------------------------------


@dataclass
class Statistics:
    """Counts of the honoured workers ``user`` may see: people by each dimension."""

    people: int
    honours: int
    #: (title, people holding it), most first.
    by_title: list[tuple[str, int]]
    #: (level, people), in the order of HONOUR_LEVELS.
    by_level: list[tuple[str, int]]
    #: (year, people honoured that year), newest first.
    by_year: list[tuple[int, int]]
    #: (status, people), in the order of PERSON_STATUSES.
    by_status: list[tuple[str, int]]
    #: (unit name, people), most first; the units beyond UNIT_ROWS summed as one row.
    by_unit: list[tuple[str, int]]
    #: (sector, people), most first ("" for people whose sector is not known).
    by_sector: list[tuple[str, int]]
    #: (title, honours), of units and teams (certificates, pioneer titles).
    units_by_title: list[tuple[str, int]]


#: Units listed one by one in the statistics; the others make one row.
UNIT_ROWS = 30


def statistics(session: Session, user: Any, filters: Filters) -> Statistics:
    """Return the counts of the people ``user`` may see that pass ``filters`` (the name aside).

    Honour dimensions (title, level, year) count each person once per group, among their
    honours that pass the honour filters; the others count people.
    """
    people = (
        people_query(user, filters)
        .with_only_columns(
            ArchivePerson.id,
            ArchivePerson.status,
            ArchivePerson.sector,
            ArchivePerson.unit_id,
            ArchivePerson.unit_name,
        )
        .subquery()
    )
    ids = select(people.c.id)

    def grouped(column: Any, source: Any, measure: Any) -> list[tuple[Any, int]]:
        rows = session.execute(select(column, measure).select_from(source).group_by(column))
        return [(key, count) for key, count in rows]

    honours = (
        select(HonourRecord)
        .where(HonourRecord.person_id.in_(ids), *_honour_clauses(filters))
        .subquery()
    )
    holders = func.count(func.distinct(honours.c.person_id))
    by_title = sorted(grouped(honours.c.title, honours, holders), key=lambda r: (-r[1], r[0]))
    levels = dict(grouped(honours.c.level, honours, holders))
    by_year = sorted(grouped(honours.c.year, honours, holders), reverse=True)
    statuses = dict(grouped(people.c.status, people, func.count()))
    by_sector = sorted(grouped(people.c.sector, people, func.count()), key=lambda r: (-r[1], r[0]))
    unit_name = func.coalesce(Organisation.name, people.c.unit_name)
    units = session.execute(
        select(unit_name, func.count())
        .select_from(people.outerjoin(Organisation, people.c.unit_id == Organisation.id))
        .group_by(unit_name)
    ).all()
    ranked = sorted(((name or "", count) for name, count in units), key=lambda r: (-r[1], r[0]))
    by_unit = ranked[:UNIT_ROWS]
    if len(ranked) > UNIT_ROWS:
        by_unit.append(
            (pick({"zh": "其他单位", "en": "Other units"}), sum(c for _, c in ranked[UNIT_ROWS:]))
        )
    unit_honours = units_query(user, filters).subquery()
    units_by_title = sorted(
        grouped(unit_honours.c.title, unit_honours, func.count()), key=lambda r: (-r[1], r[0])
    )
    return Statistics(
        people=_count(session, select(people.c.id)),
        honours=session.scalar(select(func.count()).select_from(honours)) or 0,
        by_title=by_title,
        by_level=[(level, levels[level]) for level in HONOUR_LEVELS if level in levels],
        by_year=by_year,
        by_status=[(s, statuses[s]) for s in PERSON_STATUSES if s in statuses],
        by_unit=by_unit,
        by_sector=by_sector,
        units_by_title=units_by_title,
    )
