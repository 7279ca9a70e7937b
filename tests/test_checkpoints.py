"""Signed checkpoints: signing, forgeries, automatic checkpoints, and ``audit verify`` with them."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import stat
import time
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select, text, update
from test_cli import PASSWORD, clone, connect, query, run
from test_engine_path import walk_to_notice

from nomination.audit import checkpoints, merkle
from nomination.audit.chain import append_event
from nomination.audit.checkpoints import (
    CheckpointError,
    NoSigningKey,
    checkpoint_json,
    create_checkpoint,
    daily_checkpoint,
    generate_keys,
    on_nomination_transitioned,
    verify_log,
)
from nomination.audit.offline import checkpoint_problem, key_id, load_public_key
from nomination.canonical import canonical_json
from nomination.models import AuditEvent, AuditHead, Checkpoint
from nomination.models.audit import GENESIS_HASH

from factories import DECIDED_AT, NOW
from tampering import remove_protection


@pytest.fixture
def keys(app, tmp_path, monkeypatch):
    """A key pair in a folder of this test's own, configured as the application's."""
    folder = tmp_path / "keys"
    monkeypatch.setitem(app.config, "AUDIT_KEY_DIR", str(folder))
    monkeypatch.delitem(app.config, "AUDIT_PRIVATE_KEY", raising=False)
    monkeypatch.delenv("NOMINATION_AUDIT_PRIVATE_KEY", raising=False)
    private, public = generate_keys(folder)
    return private, public


@pytest.fixture
def no_keys(app, tmp_path, monkeypatch):
    """No signing key anywhere; the missing key is warned about afresh."""
    monkeypatch.setitem(app.config, "AUDIT_KEY_DIR", str(tmp_path / "nokeys"))
    monkeypatch.delitem(app.config, "AUDIT_PRIVATE_KEY", raising=False)
    monkeypatch.delenv("NOMINATION_AUDIT_PRIVATE_KEY", raising=False)
    monkeypatch.setattr(checkpoints, "_warned_no_key", False)


def events(session, count, start=0):
    return [
        append_event(session, action="test.event", actor_name="tester", after={"n": start + i})
        for i in range(count)
    ]


def head_seq(session) -> int:
    return session.get(AuditHead, 1).seq


def stored_root(session, size) -> str:
    payloads = session.scalars(
        select(AuditEvent.payload).where(AuditEvent.seq <= size).order_by(AuditEvent.seq)
    )
    return merkle.root_of(merkle.payload_leaf_hash(p) for p in payloads).hex()


# --- signing ---------------------------------------------------------------------------------


def test_checkpoint_signs_the_documented_message(session, keys):
    events(session, 5)
    cp = create_checkpoint(session, note="before the meeting")
    size = head_seq(session)
    assert cp.tree_size == size
    assert cp.root_hash == stored_root(session, size)
    assert cp.signed_at == NOW and cp.reason == "manual" and cp.note == "before the meeting"

    data = checkpoint_json(cp)
    assert set(data) == {
        "format",
        "tree_size",
        "root_hash",
        "signed_at",
        "key_id",
        "signature",
        "public_key",
    }
    assert data["signed_at"] == "2026-11-18T02:00:00Z"
    # Re-derive the message from the documentation and check with the public key file alone.
    public = load_public_key(keys[1].read_bytes())
    message = f"nomination-checkpoint/v1\n{size}\n{cp.root_hash}\n2026-11-18T02:00:00Z\n"
    public.verify(base64.b64decode(data["signature"]), message.encode())
    assert data["key_id"] == hashlib.sha256(base64.b64decode(data["public_key"])).hexdigest()[:16]
    assert checkpoint_problem(data, public) is None


def test_forged_and_altered_checkpoints_are_refused(session, keys):
    events(session, 3)
    data = checkpoint_json(create_checkpoint(session))
    public = load_public_key(keys[1].read_bytes())

    signature = bytearray(base64.b64decode(data["signature"]))
    signature[10] ^= 1
    forged = {**data, "signature": base64.b64encode(bytes(signature)).decode()}
    assert "does not match" in checkpoint_problem(forged, public)
    for field, value in (
        ("tree_size", data["tree_size"] + 1),
        ("root_hash", "0" * 64),
        ("signed_at", "2026-11-19T02:00:00Z"),
    ):
        assert "does not match" in checkpoint_problem({**data, field: value}, public), field

    # Signed by someone else's key, whether it says so or claims ours.
    other = Ed25519PrivateKey.generate()
    message = (
        f"nomination-checkpoint/v1\n{data['tree_size']}\n{data['root_hash']}\n{data['signed_at']}\n"
    ).encode()
    theirs = {
        **data,
        "key_id": key_id(other.public_key()),
        "signature": base64.b64encode(other.sign(message)).decode(),
    }
    assert "not with a trusted public key" in checkpoint_problem(theirs, public)
    claims_ours = {**theirs, "key_id": data["key_id"]}
    assert "does not match" in checkpoint_problem(claims_ours, public)
    # The right signature checked with the wrong key.
    assert "not with a trusted public key" in checkpoint_problem(data, other.public_key())
    assert "malformed" in checkpoint_problem({**data, "root_hash": "xyz"}, public)


def test_no_key_no_checkpoint(session, no_keys):
    with pytest.raises(NoSigningKey):
        create_checkpoint(session)


def test_key_from_the_environment(session, app, no_keys, monkeypatch):
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    for value in (base64.b64encode(raw).decode(), pem):
        monkeypatch.setenv("NOMINATION_AUDIT_PRIVATE_KEY", value)
        cp = create_checkpoint(session)
        assert cp.key_id == key_id(key.public_key())
        assert checkpoint_problem(checkpoint_json(cp, {}), key.public_key()) is None
    monkeypatch.setenv("NOMINATION_AUDIT_PRIVATE_KEY", "not a key")
    with pytest.raises(CheckpointError, match="NOMINATION_AUDIT_PRIVATE_KEY"):
        create_checkpoint(session)


def test_keygen_refuses_to_overwrite_and_keeps_the_old_public_key(tmp_path):
    folder = tmp_path / "keys"
    private, public = generate_keys(folder)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    first = public.read_bytes()
    with pytest.raises(FileExistsError):
        generate_keys(folder)
    assert public.read_bytes() == first
    generate_keys(folder, force=True)
    assert public.read_bytes() != first
    kept = folder / f"audit-signing-key.{key_id(load_public_key(first))}.pub.pem"
    assert kept.read_bytes() == first
    assert stat.S_IMODE(private.stat().st_mode) == 0o600


# --- each checkpoint resumes from the last one ------------------------------------------------


def test_next_checkpoint_hashes_only_the_new_events(session, keys, monkeypatch):
    events(session, 7)
    first = create_checkpoint(session)
    events(session, 6, start=7)
    hashed = []
    original = checkpoints.leaf_hashes

    def counting(session, start=0, stop=None):
        hashed.append((start, stop))
        return original(session, start, stop)

    monkeypatch.setattr(checkpoints, "leaf_hashes", counting)
    second = create_checkpoint(session, now=NOW + timedelta(minutes=1))
    assert hashed == [(first.tree_size, second.tree_size)]
    assert second.tree_size == first.tree_size + 6
    assert second.root_hash == stored_root(session, second.tree_size)
    assert verify_log(session).ok


def test_a_tampered_frontier_is_not_trusted(session, keys, caplog):
    events(session, 5)
    first = create_checkpoint(session)
    remove_protection(session)  # as the database owner could
    session.execute(
        update(Checkpoint).where(Checkpoint.id == first.id).values(frontier=json.dumps(["00" * 32]))
    )
    session.expire_all()
    events(session, 2, start=5)
    with caplog.at_level(logging.WARNING, "nomination.audit.checkpoints"):
        second = create_checkpoint(session, now=NOW + timedelta(minutes=1))
    assert "cannot be resumed" in caplog.text
    assert second.root_hash == stored_root(session, second.tree_size)
    report = verify_log(session)
    assert (report.ok, report.first_bad_checkpoint) == (False, first.id)
    assert "frontier" in report.checkpoint_problem


def test_a_log_shorter_than_the_last_checkpoint_is_not_signed(session, keys):
    events(session, 4)
    create_checkpoint(session)
    remove_protection(session)
    last = head_seq(session)
    session.execute(text("DELETE FROM audit_event WHERE seq = :s"), {"s": last})
    previous = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == last - 1))
    session.execute(update(AuditHead).values(seq=last - 1, hash=previous))
    session.expire_all()
    with pytest.raises(CheckpointError, match="fewer than"):
        create_checkpoint(session, now=NOW + timedelta(minutes=1))


# --- automatic checkpoints --------------------------------------------------------------------


def test_every_stage_closing_signs_a_checkpoint(session, tree, create_nomination_for, keys):
    n = create_nomination_for()
    walk_to_notice(n, tree)
    assert n.state == "public_notice"
    transitions = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action.like("transition.%"), AuditEvent.entity_id == str(n.id))
        .order_by(AuditEvent.seq)
    ).all()
    cps = session.scalars(select(Checkpoint).order_by(Checkpoint.id)).all()
    # One checkpoint per state change, each covering exactly the log up to that transition.
    assert [cp.tree_size for cp in cps] == [e.seq for e in transitions]
    assert {cp.reason for cp in cps[:-1]} == {"stage closed"}
    assert cps[-1].reason == "notice published"
    assert cps[0].note == f"nomination {n.id} entered committee_review from draft"
    assert f"entered public_notice from {transitions[-1].before['state']}" in cps[-1].note
    for cp in cps:
        assert cp.root_hash == stored_root(session, cp.tree_size)
    report = verify_log(session)
    assert report.ok and report.checkpoints == len(cps)


def test_a_transition_within_a_state_signs_nothing(session, tree, create_nomination_for, keys):
    n = create_nomination_for()
    walk_to_notice(n, tree)
    before = session.scalar(select(func.count(Checkpoint.id)))
    on_nomination_transitioned(n, before=n.state)
    assert session.scalar(select(func.count(Checkpoint.id))) == before


def test_entering_public_notice_without_a_key_only_warns(
    session, tree, create_nomination_for, no_keys, caplog
):
    n = create_nomination_for()
    with caplog.at_level(logging.WARNING, "nomination.audit.checkpoints"):
        walk_to_notice(n, tree)
    assert n.state == "public_notice"
    assert session.scalar(select(func.count(Checkpoint.id))) == 0
    assert "no signing key" in caplog.text


def test_daily_checkpoint_once_per_local_day(session, keys, app):
    events(session, 3)
    first = daily_checkpoint(session)
    assert first is not None and first.reason == "daily"
    assert first.note == "2026-11-18"
    assert daily_checkpoint(session) is None
    assert daily_checkpoint(session, NOW + timedelta(hours=13)) is None  # 23:00 in Beijing
    events(session, 1, start=3)
    app.config["FROZEN_TIME"] = NOW + timedelta(hours=14)  # 00:00 the next day in Beijing
    try:
        second = daily_checkpoint(session)
    finally:
        app.config["FROZEN_TIME"] = NOW
    assert second is not None and second.note == "2026-11-19"
    assert second.tree_size == first.tree_size + 1
    assert session.scalar(select(func.count(Checkpoint.id))) == 2


def test_daily_checkpoint_without_a_key_is_skipped(session, no_keys, caplog):
    with caplog.at_level(logging.WARNING, "nomination.audit.checkpoints"):
        assert daily_checkpoint(session) is None
    assert "no signing key" in caplog.text


# --- verifying the log with its checkpoints ----------------------------------------------------


def rewrite_whole_chain(session, target_seq):
    """Change one event's comment and recompute every later hash, link and the head."""
    remove_protection(session)
    table = AuditEvent.__table__
    prev = GENESIS_HASH
    rows = session.execute(select(table.c.seq, table.c.payload).order_by(table.c.seq)).all()
    for seq, payload in rows:
        record = json.loads(payload)
        record["prev_hash"] = prev
        values = {}
        if seq == target_seq:
            record["comment"] = values["comment"] = "rewritten"
        new_payload = canonical_json(record)
        digest = hashlib.sha256(new_payload.encode()).hexdigest()
        session.execute(
            table.update()
            .where(table.c.seq == seq)
            .values(payload=new_payload, hash=digest, prev_hash=prev, **values)
        )
        prev = digest
    session.execute(update(AuditHead).values(hash=prev))
    session.expire_all()


def test_verify_detects_a_consistently_rewritten_chain(session, keys):
    events(session, 6)
    cp = create_checkpoint(session)
    events(session, 2, start=6)
    assert verify_log(session).ok
    rewrite_whole_chain(session, target_seq=cp.tree_size - 2)
    report = verify_log(session)
    # The chain alone sees nothing wrong; the signed root does.
    assert report.chain.ok
    assert not report.ok
    assert report.first_bad_checkpoint == cp.id
    assert "no longer matches" in report.checkpoint_problem


def test_verify_detects_a_forged_or_unknown_checkpoint(session, keys, app, tmp_path):
    events(session, 3)
    cp = create_checkpoint(session)
    assert verify_log(session).checkpoints == 1
    # A forged signature in the table.
    signature = bytearray(base64.b64decode(cp.signature))
    signature[0] ^= 0x80
    remove_protection(session)  # as the database owner could
    session.execute(
        update(Checkpoint)
        .where(Checkpoint.id == cp.id)
        .values(signature=base64.b64encode(bytes(signature)).decode())
    )
    session.expire_all()
    report = verify_log(session)
    assert (report.ok, report.first_bad_checkpoint) == (False, cp.id)
    assert "does not match" in report.checkpoint_problem


def test_verify_needs_a_trusted_key(session, keys, app, tmp_path, monkeypatch):
    events(session, 3)
    cp = create_checkpoint(session)
    public = load_public_key(keys[1].read_bytes())
    monkeypatch.setitem(app.config, "AUDIT_KEY_DIR", str(tmp_path / "elsewhere"))
    report = verify_log(session)
    assert (report.ok, report.first_bad_checkpoint) == (False, cp.id)
    assert "not with a trusted public key" in report.checkpoint_problem
    assert verify_log(session, [public]).ok


def test_verify_detects_a_checkpoint_beyond_the_log(session, keys):
    events(session, 5)
    cp = create_checkpoint(session)
    remove_protection(session)
    last = head_seq(session)
    session.execute(text("DELETE FROM audit_event WHERE seq > :s"), {"s": last - 2})
    previous = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == last - 2))
    session.execute(update(AuditHead).values(seq=last - 2, hash=previous))
    session.expire_all()
    report = verify_log(session)
    assert report.chain.ok
    assert (report.ok, report.first_bad_checkpoint) == (False, cp.id)
    assert "deleted from the end" in report.checkpoint_problem


def test_a_back_dated_checkpoint_is_a_clock_warning_not_a_broken_log(session, keys):
    events(session, 4)
    first = create_checkpoint(session)
    events(session, 2, start=4)
    second = create_checkpoint(session, now=NOW + timedelta(minutes=5))
    assert verify_log(session).checkpoints == 2
    # The later one back-dated before the earlier, re-signed with the key: the checkpoints
    # still extend one another in the order they were signed; only the clock disagrees.
    key = checkpoints.signing_key()
    earlier = first.signed_at - timedelta(minutes=1)
    signed = checkpoints.sign_checkpoint(
        key, second.tree_size, second.root_hash, checkpoints.format_time(earlier)
    )
    remove_protection(session)  # as the database owner could
    session.execute(
        update(Checkpoint)
        .where(Checkpoint.id == second.id)
        .values(signed_at=earlier, signature=signed["signature"])
    )
    session.expire_all()
    report = verify_log(session)
    assert (report.ok, report.checkpoints, report.first_bad_checkpoint) == (True, 2, None)
    [warning] = report.clock_warnings
    assert f"checkpoint {second.id}" in warning and f"checkpoint {first.id}" in warning
    assert report.as_dict()["clock_warnings"] == [warning]


def test_a_checkpoint_signed_while_the_clock_ran_ahead_does_not_break_verify(session, keys):
    """The server's clock was a day ahead when it signed; corrected, it signs again later."""
    events(session, 3)
    ahead = create_checkpoint(session, now=NOW + timedelta(days=1))
    events(session, 3, start=3)
    corrected = create_checkpoint(session, now=NOW)
    events(session, 2, start=6)
    again = create_checkpoint(session, now=NOW + timedelta(hours=1))
    report = verify_log(session)
    assert (report.ok, report.checkpoints, report.checkpoint_problem) == (True, 3, None)
    # Both later checkpoints bear times before the one signed while the clock ran ahead.
    assert [w.split(" (")[0] for w in report.clock_warnings] == [
        f"checkpoint {corrected.id}",
        f"checkpoint {again.id}",
    ]
    assert all(f"checkpoint {ahead.id}" in w for w in report.clock_warnings)
    # The latest checkpoint is the one signed last, whatever time its clock gave it.
    assert checkpoints.latest_checkpoint(session).id == again.id


def test_verify_detects_a_checkpoint_covering_fewer_events_than_one_signed_before(session, keys):
    events(session, 4)
    small = create_checkpoint(session)
    events(session, 2, start=4)
    large = create_checkpoint(session)
    # Swap their places in the signing order (as the database owner could).
    remove_protection(session)
    columns = ("tree_size", "root_hash", "signed_at", "signature", "frontier")
    rows = {cp.id: {c: getattr(cp, c) for c in columns} for cp in (small, large)}
    session.execute(update(Checkpoint).where(Checkpoint.id == small.id).values(**rows[large.id]))
    session.execute(update(Checkpoint).where(Checkpoint.id == large.id).values(**rows[small.id]))
    session.expire_all()
    report = verify_log(session)
    assert (report.ok, report.first_bad_checkpoint) == (False, large.id)
    assert "fewer events" in report.checkpoint_problem


# --- an honest log of 100,000 events ----------------------------------------------------------


def bulk_events(session, count):
    """Append ``count`` correctly chained events fast: one appended as usual, the rest copied.

    Each copy differs from the first in its seq, prev_hash, hash and payload; every other
    column is copied in SQL, so that the columns still match the payload.
    """
    first = append_event(session, action="test.bulk", actor_name="bulk", after={"n": 0})
    table = AuditEvent.__table__
    template = session.scalar(select(table.c.payload).where(table.c.seq == first.seq))
    connection = session.connection()
    quote = connection.dialect.identifier_preparer.quote
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    changed = ("seq", "prev_hash", "hash", "payload")
    names = [c.name for c in table.c if c.name not in changed]
    # Straight to the driver's executemany; the other columns are copied from the first event.
    insert = (
        f"INSERT INTO audit_event ({', '.join(quote(n) for n in (*changed, *names))}) "
        f"SELECT {', '.join([mark] * len(changed))}, {', '.join(quote(n) for n in names)} "
        f"FROM audit_event WHERE seq = {first.seq}"
    )
    record = json.loads(template)
    prev, seq = first.hash, first.seq
    batch = []
    for _ in range(count - 1):
        seq += 1
        record["seq"], record["prev_hash"] = seq, prev
        # The record is plain JSON already: the canonical form is this one json.dumps.
        payload = json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(payload.encode("utf-8")).hexdigest()
        batch.append((seq, prev, digest, payload))
        prev = digest
        if len(batch) == 10_000:
            connection.exec_driver_sql(insert, batch)
            batch = []
    if batch:
        connection.exec_driver_sql(insert, batch)
    assert canonical_json(record) == payload
    session.execute(update(AuditHead).values(seq=seq, hash=prev))
    session.expire_all()


def test_no_false_alarm_on_an_honest_log_of_100000_events(session, keys, app, tmp_path):
    from nomination.audit.export import write_export
    from nomination.audit.offline import verify_export_file

    timings = {}
    started = time.perf_counter()
    bulk_events(session, 100_000)
    timings["generate"] = time.perf_counter() - started
    size = head_seq(session)
    assert size >= 100_000

    started = time.perf_counter()
    tree = checkpoints.load_tree(session, size)
    timings["root"] = time.perf_counter() - started

    started = time.perf_counter()
    cp = create_checkpoint(session)
    timings["first checkpoint"] = time.perf_counter() - started
    assert (cp.tree_size, cp.root_hash) == (size, tree.root().hex())

    events(session, 10, start=1)
    started = time.perf_counter()
    later = create_checkpoint(session, now=NOW + timedelta(minutes=1))
    timings["next checkpoint"] = time.perf_counter() - started
    assert later.tree_size == size + 10

    started = time.perf_counter()
    report = verify_log(session)
    timings["verify"] = time.perf_counter() - started
    assert report.ok, report.as_dict()
    assert (report.tree_size, report.checkpoints) == (size + 10, 2)

    export = tmp_path / "export.jsonl"
    started = time.perf_counter()
    with open(export, "w", encoding="utf-8", newline="\n") as out:
        summary = write_export(session, out)
    timings["export"] = time.perf_counter() - started
    assert summary.events == size + 10
    kept = tmp_path / "cp.json"
    kept.write_text(json.dumps(checkpoint_json(cp)))
    started = time.perf_counter()
    result = verify_export_file(export, kept, keys[1])
    timings["offline verify"] = time.perf_counter() - started
    assert result.ok, result.as_dict()
    assert result.complete and result.after_checkpoint == 10

    print(f"\n100,000 events on {app.config['BACKEND']}: ", end="")
    print(", ".join(f"{name} {seconds:.2f} s" for name, seconds in timings.items()))
    assert timings["root"] < 5
    assert timings["next checkpoint"] < 0.5


# --- the command line ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def signed_demo(tmp_path_factory):
    """A demo instance with a signing key made before the demo: notices signed checkpoints."""
    instance = tmp_path_factory.mktemp("signed")
    keygen = run(instance, "audit", "keygen")
    assert keygen.returncode == 0, keygen.stderr
    demo = run(instance, "demo", "--password", PASSWORD)
    assert demo.returncode == 0, demo.stderr
    return instance


def test_keygen_prints_the_public_key_and_refuses_to_overwrite(tmp_path):
    first = run(tmp_path, "audit", "keygen")
    assert first.returncode == 0, first.stderr
    public = tmp_path / "keys" / "audit-signing-key.pub.pem"
    assert first.stdout.strip() == str(public)
    private = tmp_path / "keys" / "audit-signing-key.pem"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert load_public_key(public.read_bytes())
    key = private.read_bytes()

    again = run(tmp_path, "audit", "keygen")
    assert again.returncode != 0
    assert "--force" in again.stderr and "Traceback" not in again.stderr
    assert private.read_bytes() == key

    forced = run(tmp_path, "audit", "keygen", "--force")
    assert forced.returncode == 0, forced.stderr
    assert private.read_bytes() != key


def test_checkpoint_command_and_verify(signed_demo, tmp_path):
    instance = clone(signed_demo, tmp_path / "cp")
    notices = query(instance, "SELECT count(*) FROM audit_checkpoint")[0][0]
    assert notices > 0  # the demo's notices were signed
    result = run(instance, "audit", "checkpoint", "--note", "before the audit")
    assert result.returncode == 0, result.stderr
    cp = json.loads(result.stdout)
    events = query(instance, "SELECT count(*) FROM audit_event")[0][0]
    assert cp["tree_size"] == events
    assert (
        checkpoint_problem(
            cp, load_public_key((instance / "keys" / "audit-signing-key.pub.pem").read_bytes())
        )
        is None
    )
    assert query(
        instance, "SELECT reason, note FROM audit_checkpoint ORDER BY id DESC LIMIT 1"
    ) == [("manual", "before the audit")]

    verify = run(instance, "audit", "verify")
    assert verify.returncode == 0, verify.stderr
    report = json.loads(verify.stdout)
    assert report["ok"] is True
    assert (report["tree_size"], report["root_hash"]) == (events, cp["root_hash"])
    assert report["checkpoints"] == notices + 1


def test_checkpoint_command_without_a_key(tmp_path):
    assert run(tmp_path, "db", "upgrade").returncode == 0
    result = run(tmp_path, "audit", "checkpoint")
    assert result.returncode == 1
    assert "nomination audit keygen" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def _rewrite_sqlite_chain(instance, target_seq):
    """Rewrite the whole chain in the database file, consistently, as a forger with the file."""
    with connect(instance) as conn:
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        ).fetchall():
            conn.execute(f'DROP TRIGGER "{name}"')
        prev = GENESIS_HASH
        rows = conn.execute("SELECT seq, payload FROM audit_event ORDER BY seq").fetchall()
        for seq, payload in rows:
            record = json.loads(payload)
            record["prev_hash"] = prev
            if seq == target_seq:
                record["comment"] = "rewritten"
                conn.execute("UPDATE audit_event SET comment = ? WHERE seq = ?", ("rewritten", seq))
            new_payload = json.dumps(
                record, ensure_ascii=False, sort_keys=True, separators=(",", ":")
            )
            digest = hashlib.sha256(new_payload.encode()).hexdigest()
            conn.execute(
                "UPDATE audit_event SET payload = ?, hash = ?, prev_hash = ? WHERE seq = ?",
                (new_payload, digest, prev, seq),
            )
            prev = digest
        conn.execute("UPDATE audit_head SET hash = ?", (prev,))


def test_verify_names_the_checkpoint_a_rewritten_chain_breaks(signed_demo, tmp_path):
    instance = clone(signed_demo, tmp_path / "rewritten")
    first_cp, first_size = query(
        instance, "SELECT id, tree_size FROM audit_checkpoint ORDER BY signed_at, id LIMIT 1"
    )[0]
    _rewrite_sqlite_chain(instance, target_seq=first_size - 1)

    result = run(instance, "audit", "verify")
    assert result.returncode == 1, (result.stdout, result.stderr)
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert report["checked"] == report["tree_size"]  # the chain alone holds
    assert report["first_bad_seq"] is None
    assert report["first_bad_checkpoint"] == first_cp
    assert "no longer matches" in report["problem"]
    assert f"audit trail FAILED at checkpoint {first_cp} " in result.stderr
    assert "Traceback" not in result.stderr


def test_verify_against_a_kept_checkpoint_when_the_stored_ones_are_gone(signed_demo, tmp_path):
    instance = clone(signed_demo, tmp_path / "kept")
    public = signed_demo / "keys" / "audit-signing-key.pub.pem"
    kept = tmp_path / "kept.json"
    kept.write_text(run(instance, "audit", "checkpoint").stdout, encoding="utf-8")
    honest = run(instance, "audit", "verify", "--checkpoint", str(kept), "--public-key", public)
    assert honest.returncode == 0, honest.stderr
    assert json.loads(honest.stdout)["kept_checkpoint"] is True

    # The forger rewrites the whole chain consistently and deletes every stored checkpoint.
    size = json.loads(kept.read_text(encoding="utf-8"))["tree_size"]
    _rewrite_sqlite_chain(instance, target_seq=size - 3)
    with connect(instance) as conn:
        conn.execute("DELETE FROM audit_checkpoint")
    assert run(instance, "audit", "verify").returncode == 0  # nothing left to contradict it
    result = run(instance, "audit", "verify", "--checkpoint", str(kept), "--public-key", public)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["checked"] == report["tree_size"]
    assert "the kept checkpoint: its root no longer matches" in report["problem"]
    assert "audit trail FAILED at the kept checkpoint" in result.stderr

    # A kept checkpoint is judged with the auditor's key, and needs it.
    no_key = run(instance, "audit", "verify", "--checkpoint", str(kept))
    assert no_key.returncode == 2 and "--checkpoint needs --public-key" in no_key.stderr
    other = tmp_path / "other-keys"
    generate_keys(other)
    wrong = run(
        instance,
        "audit",
        "verify",
        "--checkpoint",
        str(kept),
        "--public-key",
        other / "audit-signing-key.pub.pem",
    )
    assert wrong.returncode == 1 and "the kept checkpoint" in json.loads(wrong.stdout)["problem"]


def test_tick_signs_one_checkpoint_a_day(signed_demo, tmp_path):
    instance = clone(signed_demo, tmp_path / "tick")
    with connect(instance) as conn:
        # The demo's notices signed checkpoints today: start the day without them (as the
        # database file's owner could, past the triggers).
        conn.execute("DROP TRIGGER audit_checkpoint_no_delete")
        conn.execute("DELETE FROM audit_checkpoint")
    before = query(instance, "SELECT count(*) FROM audit_checkpoint")[0][0]
    first = run(instance, "tick")
    assert first.returncode == 0, first.stderr
    assert "checkpoint" in first.stdout.splitlines()[-1]
    assert query(instance, "SELECT count(*) FROM audit_checkpoint")[0][0] == before + 1
    assert query(instance, "SELECT reason FROM audit_checkpoint ORDER BY id DESC LIMIT 1") == [
        ("daily",)
    ]
    second = run(instance, "tick")
    assert second.returncode == 0, second.stderr
    assert "checkpoint" not in second.stdout
    assert query(instance, "SELECT count(*) FROM audit_checkpoint")[0][0] == before + 1


def test_closing_the_notice_and_the_decision_sign_checkpoints(
    clock, session, tree, create_nomination_for, keys
):
    from nomination.engine import apply_due_timers, fire

    n = create_nomination_for()
    walk_to_notice(n, tree)
    apply_due_timers(session, n.timer_due_at)
    clock(DECIDED_AT)  # the decision follows the notice
    fire(
        n,
        "approve",
        tree.users["approver"],
        data={"decision_number": "京工发〔2026〕9号", "decision_date": "2026-11-27"},
    )
    cps = session.scalars(select(Checkpoint).order_by(Checkpoint.id)).all()
    # After the notice's publication: its close (by the timer) and the decision.
    assert [cp.reason for cp in cps[-3:]] == ["notice published", "stage closed", "stage closed"]
    assert cps[-2].note.endswith("entered final_approval from public_notice")
    assert cps[-1].note.endswith("entered approved from final_approval")
    assert verify_log(session).ok
