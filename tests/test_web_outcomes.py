"""The views' one way of answering an operation's refusal: ``operation_errors``."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from wtforms import Form, StringField

from nomination.errors import (
    Conflict,
    GuardBlocked,
    InvalidData,
    NotFound,
    OperationError,
    PermissionDenied,
)
from nomination.models import Organisation
from nomination.web.outcomes import operation_errors


class NameForm(Form):
    name = StringField()


def _codes(session) -> set[str]:
    return set(session.scalars(select(Organisation.code)))


def test_invalid_data_goes_next_to_the_fields_and_undoes_only_the_operation(session, create_org):
    create_org("BEFORE", "federation")  # the request's earlier work
    form = NameForm()
    with operation_errors(form) as outcome:
        create_org("INSIDE", "federation")
        raise InvalidData("invalid", fields={"name": ["too long"], "other": ["missing"]})
    assert outcome.refused and outcome.invalid and not outcome.conflict
    assert outcome.status == 422
    assert form.name.errors == ["too long"]
    assert outcome.alerts == ["other: missing"]
    assert outcome.messages == ["too long", "missing"]
    assert {"BEFORE", "INSIDE"} & _codes(session) == {"BEFORE"}


def test_without_a_form_every_message_is_an_alert(session):
    with operation_errors() as outcome:
        raise InvalidData("invalid", fields={"name": ["too long"]})
    assert outcome.alerts == ["too long"]
    assert outcome.fields == {"name": ["too long"]}


def test_a_conflict_is_an_alert_and_the_refused_work_is_undone(session, create_org):
    org = create_org("KEPT", "federation")
    with operation_errors(NameForm()) as outcome:
        org.name = "changed by the refused operation"
        session.flush()
        raise Conflict("it changed meanwhile")
    assert outcome.conflict and outcome.status == 409
    assert outcome.alerts == ["it changed meanwhile"] and outcome.message == "it changed meanwhile"
    assert org.name == "KEPT"


def test_after_a_refusal_the_page_reads_the_records_as_they_are_now(session, create_org):
    org = create_org("READ", "federation")
    # Someone else's change, committed meanwhile: the loaded object does not know it yet.
    table = Organisation.__table__
    session.execute(update(table).where(table.c.id == org.id).values(name="now"))
    assert org.name == "READ"
    with operation_errors() as outcome:
        raise Conflict("it changed meanwhile")
    assert outcome.refused
    assert org.name == "now"


def test_a_blocked_guard_gives_its_reasons(session):
    with operation_errors(catch=(GuardBlocked,)) as outcome:
        raise GuardBlocked("blocked", reasons=["no quota left"])
    assert outcome.status == 422 and outcome.reasons == ["no quota left"]
    with operation_errors(catch=(GuardBlocked,)) as outcome:
        raise GuardBlocked("blocked")
    assert outcome.reasons == ["blocked"]


def test_an_operation_that_goes_through_is_kept(session, create_org):
    with operation_errors(NameForm()) as outcome:
        create_org("DONE", "federation")
    assert not outcome.refused and outcome.status == 200 and outcome.alerts == []
    assert "DONE" in _codes(session)


@pytest.mark.parametrize(
    "error", [PermissionDenied("no"), NotFound("none"), GuardBlocked("blocked")]
)
def test_refusals_not_asked_for_go_on_to_the_error_pages(session, create_org, error):
    with pytest.raises(type(error)), operation_errors(NameForm()):
        create_org("UNDONE", "federation")
        raise error
    assert "UNDONE" not in _codes(session)


def test_the_refusals_caught_can_be_chosen(session):
    catch: tuple[type[OperationError], ...] = (NotFound,)
    with operation_errors(catch=catch) as outcome:
        raise NotFound("no objection with this reference")
    assert outcome.status == 404 and outcome.alerts == ["no objection with this reference"]
    with pytest.raises(Conflict), operation_errors(catch=catch):
        raise Conflict("not asked for")
