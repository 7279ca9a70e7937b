"""The hash chain detects every kind of tampering: edit, delete, insert, reorder, truncation."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import select, text, update

from nomination.audit.chain import append_event, verify_chain
from nomination.canonical import canonical_json
from nomination.models import AuditEvent, AuditHead

from tampering import remove_protection


@pytest.fixture
def events(session):
    """Append five events and return their sequence numbers."""
    made = [
        append_event(session, action="test.event", actor_name="tester", after={"n": i})
        for i in range(5)
    ]
    assert verify_chain(session).ok
    return [e.seq for e in made]


@pytest.fixture
def unprotected(session):
    """Tamper as someone with the owner's access would: first remove the log's protection."""
    remove_protection(session)


def test_clean_chain_verifies(session, events):
    result = verify_chain(session)
    assert result.ok
    assert result.checked >= 5


def test_edited_payload_is_detected(session, events, unprotected):
    target = events[2]
    session.execute(
        update(AuditEvent).where(AuditEvent.seq == target).values(payload=AuditEvent.payload + " ")
    )
    result = verify_chain(session)
    assert not result.ok
    assert result.first_bad_seq == target


def test_edited_column_is_detected(session, events, unprotected):
    target = events[1]
    session.execute(update(AuditEvent).where(AuditEvent.seq == target).values(actor_name="someone"))
    session.expire_all()
    result = verify_chain(session)
    assert (result.ok, result.first_bad_seq) == (False, target)


def test_rehashed_edit_is_detected_by_the_next_link(session, events, unprotected):
    # Someone with database access rewrites an event and recomputes its own hash.
    target = events[1]
    event = session.get(AuditEvent, target)
    record = json.loads(event.payload)
    record["comment"] = "rewritten"
    payload = canonical_json(record)
    session.execute(
        update(AuditEvent)
        .where(AuditEvent.seq == target)
        .values(
            payload=payload, comment="rewritten", hash=hashlib.sha256(payload.encode()).hexdigest()
        )
    )
    session.expire_all()
    result = verify_chain(session)
    assert (result.ok, result.first_bad_seq) == (False, target + 1)


def test_deleted_event_is_detected(session, events, unprotected):
    session.execute(text("DELETE FROM audit_event WHERE seq = :s"), {"s": events[3]})
    result = verify_chain(session)
    assert (result.ok, result.first_bad_seq) == (False, events[3])


def test_deleted_tail_is_detected(session, events, unprotected):
    session.execute(text("DELETE FROM audit_event WHERE seq = :s"), {"s": events[-1]})
    result = verify_chain(session)
    assert not result.ok
    assert result.first_bad_seq == events[-1]


def test_reordered_events_are_detected(session, events, unprotected):
    a, b = events[1], events[2]
    session.execute(text("UPDATE audit_event SET seq = -1 WHERE seq = :a"), {"a": a})
    session.execute(text("UPDATE audit_event SET seq = :a WHERE seq = :b"), {"a": a, "b": b})
    session.execute(text("UPDATE audit_event SET seq = :b WHERE seq = -1"), {"b": b})
    session.expire_all()
    result = verify_chain(session)
    assert (result.ok, result.first_bad_seq) == (False, a)


def test_inserted_event_is_detected(session, events, unprotected):
    # Insert a well-formed event in the middle by shifting the later ones up by one.
    last = events[-1]
    for seq in range(last, events[2] - 1, -1):
        session.execute(
            text("UPDATE audit_event SET seq = :new WHERE seq = :old"), {"new": seq + 1, "old": seq}
        )
    forged = session.get(AuditEvent, events[1])
    record = json.loads(forged.payload)
    record.update(seq=events[2], prev_hash=forged.hash, comment="forged")
    payload = canonical_json(record)
    digest = hashlib.sha256(payload.encode()).hexdigest()
    session.execute(
        text(
            "INSERT INTO audit_event (seq, occurred_at, actor_id, actor_name, role, "
            "organisation_id, campaign_id, action, entity_type, entity_id, before, after, comment, "
            "prev_hash, hash, payload) SELECT :seq, occurred_at, actor_id, actor_name, role, "
            "organisation_id, campaign_id, action, entity_type, entity_id, before, after, "
            ":comment, :prev, :hash, :payload FROM audit_event WHERE seq = :src"
        ),
        {
            "seq": events[2],
            "comment": "forged",
            "prev": forged.hash,
            "hash": digest,
            "payload": payload,
            "src": events[1],
        },
    )
    session.execute(update(AuditHead).values(seq=AuditHead.seq + 1))
    session.expire_all()
    result = verify_chain(session)
    assert not result.ok
    # The forged event links correctly; the event after it no longer does.
    assert result.first_bad_seq == events[2] + 1


def test_floats_are_refused(session):
    with pytest.raises(TypeError):
        append_event(session, action="test.float", after={"share": 0.35})


def test_head_follows_the_chain(session, events):
    head = session.get(AuditHead, 1)
    last = session.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1))
    assert (head.seq, head.hash) == (last.seq, last.hash)
