"""Bulk transitions: one trigger fired on several nominations, each checked and audited alone."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from nomination.accounts import record_access_denied
from nomination.errors import OperationError, OutOfScope, PermissionDenied
from nomination.models import Nomination
from nomination.nominations.operations import transition_nomination
from nomination.nominations.queries import load_nomination


@dataclass
class ItemResult:
    """What became of one nomination: done (its new state), or refused with the reason."""

    id: int
    done: bool
    nomination: Nomination | None = None
    code: str = ""
    message: str = ""
    reasons: list[str] = field(default_factory=list)
    fields: dict[str, list[str]] = field(default_factory=dict)


def transition_each(
    session: Session,
    actor: Any,
    trigger: str,
    items: Sequence[tuple[int, int]],
    data_for: Callable[[Nomination], dict[str, Any]],
) -> list[ItemResult]:
    """Fire ``trigger`` on each (id, version) in ``items`` in its own savepoint, in order.

    ``data_for`` gives the form data for one nomination (its form may differ by workflow). A
    refusal never undoes the others; a refusal of permission or scope is audited, as it is
    for a single request.
    """
    results = []
    for nomination_id, version in items:
        nomination = None
        try:
            nomination = load_nomination(session, nomination_id, actor)
            with session.begin_nested():
                transition_nomination(
                    nomination,
                    actor=actor,
                    trigger=trigger,
                    version=version,
                    data=data_for(nomination),
                )
        except OperationError as exc:
            if isinstance(exc, PermissionDenied | OutOfScope):
                path = f"/nominations/{nomination_id}/transitions/{trigger}"
                record_access_denied(session, actor, path=path, reason=exc.message)
            results.append(
                ItemResult(
                    id=nomination_id,
                    done=False,
                    # Never describe a nomination the caller may not see.
                    nomination=nomination if not isinstance(exc, OutOfScope) else None,
                    code=exc.code,
                    message=exc.message,
                    reasons=list(exc.extra.get("reasons") or []),
                    fields=exc.fields,
                )
            )
        else:
            results.append(ItemResult(id=nomination_id, done=True, nomination=nomination))
    return results
