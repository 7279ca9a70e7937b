"""Personal data in the audit trail: hashed as salted commitments, shown in clear, erasable."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import func, select, text

from nomination.actors import SYSTEM
from nomination.audit.chain import (
    ALTERED,
    COMMITMENT,
    ERASE_ACTION,
    REDACTED,
    append_event,
    event_view,
    event_views,
    verify_chain,
)
from nomination.audit.erasure import erase_person
from nomination.errors import InvalidData, NotFound, PermissionDenied
from nomination.models import AuditEvent
from nomination.models.audit import AuditPersonal
from nomination.nominations.operations import update_nomination

from tampering import remove_protection

EDIT = {"post": "班组长", "phone": "13910000001"}


@pytest.fixture
def edited(session, tree, create_nomination_for):
    """A nomination created and then edited (two fields), with its data before the edit."""
    nomination = create_nomination_for(files=False)  # events of the form alone
    created = dict(nomination.data)
    changed = update_nomination(
        nomination,
        actor=tree.users["unit1"],
        data={**created, **EDIT},
        version=nomination.version,
    )
    assert changed == sorted(EDIT)
    return nomination, created


def events_of(session, nomination, action=None):
    query = (
        select(AuditEvent)
        .where(AuditEvent.entity_type == "nomination", AuditEvent.entity_id == str(nomination.id))
        .order_by(AuditEvent.seq)
    )
    if action:
        query = query.where(AuditEvent.action == action)
    return session.scalars(query).all()


def test_no_personal_value_is_hashed_in_clear(session, edited):
    nomination, created = edited
    personal = [v for v in [*created.values(), *nomination.data.values()] if isinstance(v, str)]
    assert "张建国" in personal and len(personal) > 10
    create = events_of(session, nomination, "nomination.create")[0]
    # Every event since the nomination was created (earlier ones may be other tests' data).
    since = session.scalars(select(AuditEvent).where(AuditEvent.seq >= create.seq)).all()
    assert {e.action for e in since} == {"nomination.create", "nomination.update"}
    for event in since:
        stored = event.payload + json.dumps([event.before, event.after], ensure_ascii=False)
        for value in personal:
            assert json.dumps(value, ensure_ascii=False) not in stored, (event.action, value)

    assert set(create.after["data"]) == set(created)  # the field names stay readable
    assert all(set(v) == {COMMITMENT} for v in create.after["data"].values())
    update = events_of(session, nomination, "nomination.update")[0]
    assert set(update.before["data"]) == set(update.after["data"]) == set(EDIT)


def test_commitments_are_salted_hashes_of_the_clear_values(session, edited, create_nomination_for):
    nomination, created = edited
    create = events_of(session, nomination, "nomination.create")[0]
    rows = session.scalars(select(AuditPersonal).where(AuditPersonal.seq == create.seq)).all()
    assert {r.path for r in rows} == {f"/after/data/{name}" for name in created}
    assert {r.subject for r in rows} == {f"nomination:{nomination.id}"}
    for row in rows:
        name = row.path.rsplit("/", 1)[1]
        assert json.loads(row.value) == created[name]
        digest = hashlib.sha256(bytes.fromhex(row.salt) + row.value.encode()).hexdigest()
        assert create.after["data"][name] == {COMMITMENT: digest}
    # The same data nominated twice commits differently: a commitment cannot be matched.
    twin = events_of(session, create_nomination_for(), "nomination.create")[0]
    assert twin.after["data"]["name"] != create.after["data"]["name"]


def test_views_show_the_clear_values(session, edited):
    nomination, created = edited
    create, update = events_of(session, nomination)[:2]
    view = event_view(create)
    assert view.after["data"] == created
    assert view.after["state"] == nomination.state
    assert view.redacted == 0
    views = event_views(session, [create, update])
    assert views[0] == view
    assert views[1].before["data"] == {k: created[k] for k in EDIT}
    assert views[1].after["data"] == {k: nomination.data[k] for k in EDIT}
    assert views[1].before["version"] == 1
    # An event without personal data reads as stored.
    plain = session.scalar(
        select(AuditEvent).where(AuditEvent.action == "campaign.create").order_by(AuditEvent.seq)
    )
    assert event_view(plain).after == plain.after


def test_erasure_keeps_the_chain_verifiable_and_reports_the_redaction(
    session, tree, edited, create_nomination_for
):
    nomination, created = edited
    other = create_nomination_for(unit_user="unit2")
    assert verify_chain(session).as_dict()["redacted"] == 0

    erasure = erase_person(
        session,
        actor=tree.users["admin"],
        subject=nomination.id,
        reason="本人申请删除(个保法第47条)",
    )
    expected = len(created) + 2 * len(EDIT)
    assert erasure.values == expected
    assert erasure.subject == f"nomination:{nomination.id}"

    result = verify_chain(session)
    assert result.ok, result
    assert result.redacted == expected
    assert result.as_dict()["redacted"] == expected

    create, update = events_of(session, nomination)[:2]
    view = event_view(create)
    assert view.after["data"] == dict.fromkeys(created, REDACTED)
    assert view.redacted == len(created)
    assert event_view(update).after["data"] == dict.fromkeys(EDIT, REDACTED)
    # The other nomination keeps its values.
    assert event_view(events_of(session, other)[0]).after["data"] == other.data
    remaining = session.scalars(select(AuditPersonal.subject).distinct()).all()
    assert f"nomination:{nomination.id}" not in remaining
    assert f"nomination:{other.id}" in remaining


def test_the_erasure_is_audited_without_the_data(session, tree, edited):
    nomination, created = edited
    seqs = [e.seq for e in events_of(session, nomination)[:2]]
    erasure = erase_person(
        session, actor=tree.users["admin"], subject=f"nomination:{nomination.id}", reason="申请"
    )
    event = session.get(AuditEvent, erasure.seq)
    assert event.action == ERASE_ACTION
    assert (event.actor_name, event.role, event.comment) == ("admin", "admin", "申请")
    assert (event.entity_type, event.entity_id) == ("nomination", str(nomination.id))
    assert (event.organisation_id, event.campaign_id) == (tree.unit1.id, tree.campaign.id)
    assert event.after == {
        "subject": f"nomination:{nomination.id}",
        "events": seqs,
        "values": len(created) + 2 * len(EDIT),
    }
    assert "张建国" not in event.payload
    # Nothing is left to erase.
    with pytest.raises(NotFound):
        erase_person(session, actor=SYSTEM, subject=nomination.id, reason="again")


@pytest.mark.parametrize("user", ["unit1", "federation", "auditor"])
def test_only_administrators_erase(session, tree, edited, user):
    nomination, _ = edited
    with pytest.raises(PermissionDenied):
        erase_person(session, actor=tree.users[user], subject=nomination.id, reason="x")


def test_erasure_needs_a_reason_and_a_known_subject(session, tree, edited):
    nomination, _ = edited
    with pytest.raises(InvalidData):
        erase_person(session, actor=tree.users["admin"], subject=nomination.id, reason="  ")
    with pytest.raises(NotFound):
        erase_person(session, actor=tree.users["admin"], subject=nomination.id + 99, reason="x")
    assert (
        session.scalar(select(func.count(AuditEvent.seq)).where(AuditEvent.action == ERASE_ACTION))
        == 0
    )


def test_a_tampered_clear_value_is_detected(session, edited):
    nomination, _ = edited
    create = events_of(session, nomination, "nomination.create")[0]
    remove_protection(session)
    session.execute(
        text("UPDATE audit_personal SET value = :v WHERE seq = :s AND path = '/after/data/name'"),
        {"v": json.dumps("李四", ensure_ascii=False), "s": create.seq},
    )
    result = verify_chain(session)
    assert (result.ok, result.first_bad_seq) == (False, create.seq)
    assert "/after/data/name does not match its commitment" in result.problem
    assert event_view(create).after["data"]["name"] == ALTERED


def test_values_deleted_without_a_recorded_erasure_are_detected(session, edited):
    nomination, _ = edited
    update = events_of(session, nomination, "nomination.update")[0]
    # Deleting is what erasure does, so the database allows it: verification catches it.
    session.execute(text("DELETE FROM audit_personal WHERE seq = :s"), {"s": update.seq})
    result = verify_chain(session)
    assert (result.ok, result.first_bad_seq) == (False, update.seq)
    assert "without a recorded erasure" in result.problem
    assert result.redacted == 2 * len(EDIT)


def test_a_value_stored_for_no_commitment_is_detected(session, edited):
    nomination, _ = edited
    create = events_of(session, nomination, "nomination.create")[0]
    session.add(
        AuditPersonal(
            seq=create.seq,
            path="/after/data/forged",
            subject=f"nomination:{nomination.id}",
            salt="00" * 16,
            value='"x"',
        )
    )
    session.flush()
    result = verify_chain(session)
    assert (result.ok, result.first_bad_seq) == (False, create.seq)
    assert "stored for no commitment" in result.problem


def test_the_commitment_key_is_reserved(session):
    with pytest.raises(ValueError, match="reserved"):
        append_event(session, action="test.forged", after={"x": {COMMITMENT: "00" * 32}})


def test_an_event_with_personal_data_must_name_its_subject(session):
    with pytest.raises(ValueError, match="carries personal data"):
        append_event(session, action="nomination.create", after={"data": {"name": "张建国"}})
