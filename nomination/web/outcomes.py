"""An operation's refusal as the page shows it: the one place views catch operation errors.

A view loads, checks, calls the operation and responds::

    with operation_errors(form) as outcome:
        record_service(db.session, person, user, ...)
    if outcome.refused:
        return _render_person(person, status=outcome.status, alerts=outcome.alerts, form=form)
    flash(...)
    return redirect(...)

The operation runs in a savepoint. When it refuses (raises one of ``catch``: by default
InvalidData and Conflict), what it did is rolled back, and only that: the request's earlier work
stays, and the request boundary (``web/setup.py``) still commits or rolls back the whole at its
end, by the response's status. Everything in the session is read again afterwards, so the page
shows the records as they are now. InvalidData's messages go next to the form's fields; the
other refusals' messages become alerts. What is not caught (a permission refused, a record not
found, a blocked guard unless asked for) goes on to the application's error pages
(``web/errors.py``); the API answers every refusal with its JSON error (``api/errors.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from wtforms import Form

from nomination import db
from nomination.errors import Conflict, InvalidData, OperationError
from nomination.web.forms import attach_errors

#: The refusals a form answers on its own page: invalid data, and a conflict.
FORM_REFUSALS: tuple[type[OperationError], ...] = (InvalidData, Conflict)


@dataclass
class Outcome:
    """What became of an operation called inside ``operation_errors``."""

    #: The refusal caught, or None when the operation went through.
    error: OperationError | None = None
    #: The messages to show above the form: those no field of it could hold.
    alerts: list[str] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        """Return whether the operation refused."""
        return self.error is not None

    @property
    def status(self) -> int:
        """Return the HTTP status of the refusal (409 for a conflict, 422 for invalid data)."""
        return self.error.status if self.error is not None else 200

    @property
    def conflict(self) -> bool:
        """Return whether the refusal is a conflict (the record changed meanwhile)."""
        return isinstance(self.error, Conflict)

    @property
    def invalid(self) -> bool:
        """Return whether the refusal is invalid data."""
        return isinstance(self.error, InvalidData)

    @property
    def message(self) -> str:
        """Return the refusal's own message ("" when there was none)."""
        return self.error.message if self.error is not None else ""

    @property
    def fields(self) -> dict[str, list[str]]:
        """Return the refusal's messages by field."""
        return self.error.fields if self.error is not None else {}

    @property
    def messages(self) -> list[str]:
        """Return every message of the refusal: its fields' for invalid data, else its own."""
        if self.error is None:
            return []
        if isinstance(self.error, InvalidData):
            return [m for ms in self.error.fields.values() for m in ms]
        return [self.error.message]

    @property
    def reasons(self) -> list[str]:
        """Return why a guard blocked the transition (its message when it gives no reasons)."""
        if self.error is None:
            return []
        return list(self.error.extra.get("reasons") or [self.error.message])


@contextmanager
def operation_errors(
    form: Form | None = None, *, catch: tuple[type[OperationError], ...] = FORM_REFUSALS
) -> Iterator[Outcome]:
    """Run the block in a savepoint; on a refusal in ``catch``, roll it back and say so.

    InvalidData's field messages are put next to ``form``'s fields and those it has no field
    for become ``alerts`` (without a form, every message does); another refusal's message is
    the alert. Whatever else the block raises is not caught, and its savepoint is undone.
    """
    outcome = Outcome()
    try:
        with db.session.begin_nested():
            yield outcome
    except catch as exc:
        # The savepoint's rollback resets only what the refused work changed: read everything
        # again, so that the page shows the records as the database has them now.
        db.session.expire_all()
        outcome.error = exc
        if isinstance(exc, InvalidData):
            outcome.alerts = (
                attach_errors(form, exc.fields) if form is not None else outcome.messages
            )
        else:
            outcome.alerts = [exc.message]
