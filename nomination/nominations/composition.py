"""The composition of a campaign's nominations against its targets (结构比例).

A national or municipal notice sets minimum shares for industrial and other front-line workers,
science and education staff, migrant workers, the non-public sector, women, and caps enterprise
heads and cadres (../shared/DOMAIN.md §6). A campaign keeps its targets in ``composition``:
``{"front_line": {"min": 55}, "leaders": {"max": 6}, ...}`` (percent), for the measures below.

Counted: the individual nominations that hold a place (``Workflow.released_states``: put
forward, and not withdrawn, rejected, lapsed or replaced), so reviewers see the composition they
are shaping.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from nomination import engine
from nomination.models import Campaign, Nomination, Organisation


@dataclass(frozen=True)
class Measure:
    """A share of the nominations: its label, and which nominations it counts."""

    name: str
    label: dict[str, str]
    counts: Callable[[dict[str, Any]], bool]


MEASURES = (
    Measure(
        "industrial_workers",
        {"zh": "产业工人", "en": "Industrial workers"},
        lambda d: d.get("category") == "industrial_worker",
    ),
    Measure(
        "front_line",
        {"zh": "一线职工和专业技术人员", "en": "Front-line workers and technical staff"},
        lambda d: d.get("category") in ("industrial_worker", "frontline", "technical"),
    ),
    Measure(
        "science_education",
        {"zh": "科教人员", "en": "Science and education staff"},
        lambda d: d.get("category") == "science_education",
    ),
    Measure(
        "leaders",
        {"zh": "企业负责人和县处级干部", "en": "Enterprise heads and cadres"},
        lambda d: d.get("category") in ("enterprise_head", "cadre"),
    ),
    Measure(
        "migrant_workers",
        {"zh": "农民工", "en": "Migrant workers"},
        lambda d: bool(d.get("migrant_worker")),
    ),
    Measure(
        "non_public",
        {"zh": "非公有制单位", "en": "Non-public sector"},
        lambda d: d.get("ownership") == "non_public",
    ),
    Measure("women", {"zh": "女性", "en": "Women"}, lambda d: d.get("gender") == "female"),
)


@dataclass(frozen=True)
class Row:
    """One measure's count and share, and how it stands against the campaign's target."""

    measure: Measure
    count: int
    share: float
    minimum: float | None
    maximum: float | None

    @property
    def status(self) -> str:
        """Return "below", "above", "ok", or "none" when the campaign sets no target."""
        if self.minimum is None and self.maximum is None:
            return "none"
        if self.minimum is not None and self.share < self.minimum:
            return "below"
        if self.maximum is not None and self.share > self.maximum:
            return "above"
        return "ok"


@dataclass(frozen=True)
class Panel:
    """The composition of one group of nominations (the federation, or one committee)."""

    title: str
    total: int
    rows: list[Row]


def measure(campaign: Campaign, nominations: Iterable[Nomination], title: str) -> Panel:
    """Return the composition of ``nominations`` against ``campaign``'s targets."""
    data = [n.data or {} for n in nominations]
    total = len(data)
    targets = campaign.composition or {}
    rows = []
    for m in MEASURES:
        count = sum(1 for d in data if m.counts(d))
        target = targets.get(m.name) or {}
        rows.append(
            Row(
                m,
                count,
                round(100 * count / total, 1) if total else 0.0,
                _percent(target.get("min")),
                _percent(target.get("max")),
            )
        )
    return Panel(title, total, rows)


def _percent(value: Any) -> float | None:
    return None if value is None else float(value)


def counted(session: Session, campaign: Campaign, committee: Organisation | None = None) -> list:
    """Return the campaign's nominations of people that count, optionally of one committee."""
    # Those that hold a place: put forward, and not ended without an award.
    held = [
        and_(Nomination.kind == award.kind, Nomination.state.not_in(wf.released_states()))
        for award in campaign.awards
        if (wf := engine.workflow_by_hash(session, award.definition_hash)).holder == "person"
    ]
    if not held:
        return []
    query = (
        select(Nomination)
        .join(Organisation, Nomination.unit_id == Organisation.id)
        .where(Nomination.campaign_id == campaign.id, or_(*held))
    )
    if committee is not None:
        query = query.where(Organisation.path.startswith(committee.path))
    return list(session.scalars(query))
