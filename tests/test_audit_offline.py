"""Exports verified offline: honest ones pass; edits, gaps, truncation and rewrites are named."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import delete, func, select
from test_checkpoints import rewrite_whole_chain
from test_cli import NOMINATION
from test_engine_path import walk_to_notice

from nomination import db
from nomination.audit import merkle
from nomination.audit.chain import append_event
from nomination.audit.checkpoints import checkpoint_json, create_checkpoint, generate_keys
from nomination.audit.export import write_export
from nomination.audit.offline import verify_export_file
from nomination.cli import main
from nomination.models import AuditEvent, Checkpoint

from factories import NOW


@pytest.fixture(autouse=True)
def keys(app, tmp_path, monkeypatch):
    """A key pair in a folder of this test's own, configured as the application's."""
    folder = tmp_path / "keys"
    monkeypatch.setitem(app.config, "AUDIT_KEY_DIR", str(folder))
    monkeypatch.delitem(app.config, "AUDIT_PRIVATE_KEY", raising=False)
    monkeypatch.delenv("NOMINATION_AUDIT_PRIVATE_KEY", raising=False)
    return generate_keys(folder)


def more_events(session, count, tag="later"):
    for i in range(count):
        append_event(session, action="test.event", actor_name=tag, after={"n": i})


@pytest.fixture
def log(session, tree, create_nomination_for, tmp_path):
    """A log with a notice (signed automatically), a kept checkpoint, and events after it."""
    n = create_nomination_for()
    walk_to_notice(n, tree)
    more_events(session, 4, "before")
    kept = create_checkpoint(session, now=NOW.replace(minute=5))
    more_events(session, 3)
    path = tmp_path / "kept.json"
    path.write_text(json.dumps(checkpoint_json(kept)), encoding="utf-8")
    return {"kept": path, "size": kept.tree_size, "nomination": n, "tree": tree}


def export(session, path: Path, **filters) -> Path:
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        write_export(session, out, **filters)
    return path


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def write_lines(path: Path, records: list[dict]) -> Path:
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    path.write_text(text, encoding="utf-8")
    return path


def event_index(records: list[dict], seq: int) -> int:
    return next(i for i, r in enumerate(records) if r.get("type") == "event" and r["seq"] == seq)


def verify(path, log, keys):
    return verify_export_file(path, log["kept"], keys[1])


def rehash_header(records: list[dict]) -> None:
    """Make the header's tree head match the event lines, as a careful forger would."""
    leaves = [merkle.payload_leaf_hash(r["payload"]) for r in records if r["type"] == "event"]
    records[0]["tree_size"] = len(leaves)
    records[0]["root_hash"] = merkle.root_of(leaves).hex()


# --- honest exports ---------------------------------------------------------------------------


def test_full_export_verifies(session, log, keys, tmp_path):
    path = export(session, tmp_path / "full.jsonl")
    records = read_lines(path)
    header = records[0]
    total = session.scalar(select(func.count(AuditEvent.seq)))
    assert header["type"] == "header" and header["filter"] is None
    assert header["tree_size"] == header["events"] == total
    assert header["checkpoint"]["tree_size"] == log["size"]
    signed = session.scalar(select(func.count(Checkpoint.id)))
    assert [r["type"] for r in records[1 : signed + 2]] == ["checkpoint"] * signed + ["event"]
    events = [r for r in records if r["type"] == "event"]
    assert [e["seq"] for e in events] == list(range(1, total + 1))
    stored = session.get(AuditEvent, 5)
    assert events[4]["payload"] == stored.payload and events[4]["hash"] == stored.hash

    result = verify(path, log, keys)
    assert result.ok, result.as_dict()
    assert result.complete and result.events == total
    assert result.checkpoints_checked == signed
    assert result.after_checkpoint == 3


def test_offline_verification_needs_neither_database_nor_configuration(
    session, log, keys, tmp_path
):
    path = export(session, tmp_path / "full.jsonl")
    nowhere = tmp_path / "no-instance"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOMINATION_")}
    env["NOMINATION_INSTANCE_PATH"] = str(nowhere)
    env["NOMINATION_DATABASE_URL"] = "postgresql+psycopg://nobody@127.0.0.1:1/nothing"
    args = ["--export", str(path), "--checkpoint", str(log["kept"]), "--public-key", str(keys[1])]
    result = subprocess.run(
        [str(NOMINATION), "audit", "verify", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ok"] is True
    assert not nowhere.exists()  # the application was never created

    # The verifier's modules pull in no database layer.
    probe = "import sys, nomination.audit.offline; print('sqlalchemy' in sys.modules)"
    imported = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert imported.stdout.strip() == "False"


def test_standalone_copy_of_the_verifier(session, log, keys, tmp_path):
    # An auditor copies merkle.py and offline.py; no application installed.
    import nomination.audit.merkle
    import nomination.audit.offline

    folder = tmp_path / "verifier"
    folder.mkdir()
    for module in (nomination.audit.merkle, nomination.audit.offline):
        (folder / Path(module.__file__).name).write_bytes(Path(module.__file__).read_bytes())
    path = export(session, tmp_path / "full.jsonl")
    import cryptography

    site = str(Path(cryptography.__file__).parent.parent)
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": site}
    args = ["--export", str(path), "--checkpoint", str(log["kept"]), "--public-key", str(keys[1])]
    # -S: no site-packages processing, so the editable install of nomination is not found.
    result = subprocess.run(
        [sys.executable, "-S", str(folder / "offline.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ok"] is True
    records = read_lines(path)
    records[event_index(records, 3)]["payload"] += " "
    write_lines(path, records)
    result = subprocess.run(
        [sys.executable, "-S", str(folder / "offline.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "export FAILED at event 3" in result.stderr


# --- tampered exports -------------------------------------------------------------------------


def test_edited_line(session, log, keys, tmp_path):
    path = export(session, tmp_path / "e.jsonl")
    records = read_lines(path)
    i = event_index(records, 4)
    payload = json.loads(records[i]["payload"])
    payload["actor_name"] = "someone else"
    records[i]["payload"] = json.dumps(
        payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    result = verify(write_lines(path, records), log, keys)
    assert (result.ok, result.first_bad_seq) == (False, 4)
    assert "does not match its hash" in result.problem


def test_edited_and_rehashed_line(session, log, keys, tmp_path):
    path = export(session, tmp_path / "e.jsonl")
    records = read_lines(path)
    i = event_index(records, 4)
    records[i]["payload"] = records[i]["payload"].replace('"seq":4', '"comment":"x","seq":4')
    records[i]["hash"] = hashlib.sha256(records[i]["payload"].encode()).hexdigest()
    result = verify(write_lines(path, records), log, keys)
    assert (result.ok, result.first_bad_seq) == (False, 5)
    assert "not linked" in result.problem


def test_deleted_line(session, log, keys, tmp_path):
    path = export(session, tmp_path / "d.jsonl")
    records = read_lines(path)
    del records[event_index(records, 6)]
    rehash_header(records)
    result = verify(write_lines(path, records), log, keys)
    assert (result.ok, result.first_bad_seq) == (False, 6)
    assert "event 6 is missing" in result.problem


def test_reordered_lines(session, log, keys, tmp_path):
    path = export(session, tmp_path / "r.jsonl")
    records = read_lines(path)
    a, b = event_index(records, 7), event_index(records, 8)
    records[a], records[b] = records[b], records[a]
    result = verify(write_lines(path, records), log, keys)
    assert (result.ok, result.first_bad_seq) == (False, 7)


def test_truncated_tail_with_a_checkpoint_kept_from_before(session, log, keys, tmp_path):
    # The database lost its last events (and its checkpoints); the new export looks consistent.
    last = log["size"] - 2
    from tampering import remove_protection

    remove_protection(session)
    session.execute(delete(Checkpoint))
    session.execute(delete(AuditEvent).where(AuditEvent.seq > last))
    tail = session.get(AuditEvent, last)
    from nomination.models import AuditHead

    session.get(AuditHead, 1).seq, session.get(AuditHead, 1).hash = last, tail.hash
    session.flush()
    path = export(session, tmp_path / "t.jsonl")
    header = read_lines(path)[0]
    assert header["tree_size"] == last and header["checkpoint"] is None

    result = verify(path, log, keys)
    assert (result.ok, result.first_bad_seq) == (False, last + 1)
    assert "truncated" in result.problem


def test_truncation_betrayed_by_a_checkpoint_in_the_export(session, log, keys, tmp_path):
    # The auditor kept only the notice's checkpoint; the log was cut after it, but the
    # federation's later checkpoint (in the export) still covers the lost events.
    notice = session.scalars(
        select(Checkpoint).where(Checkpoint.reason == "notice published")
    ).one()
    assert notice.tree_size < log["size"] - 2
    kept = tmp_path / "notice.json"
    kept.write_text(json.dumps(checkpoint_json(notice)), encoding="utf-8")
    path = export(session, tmp_path / "t.jsonl")
    records = read_lines(path)
    records = records[: event_index(records, log["size"] - 1)]
    rehash_header(records)
    result = verify_export_file(write_lines(path, records), kept, keys[1])
    assert (result.ok, result.first_bad_seq) == (False, log["size"] - 1)
    assert "a checkpoint in the export covers" in result.problem


def test_cut_export_file(session, log, keys, tmp_path):
    path = export(session, tmp_path / "c.jsonl")
    records = read_lines(path)
    records = records[: event_index(records, log["size"] - 1)]
    rehash_header(records)
    result = verify(write_lines(path, records), log, keys)
    assert (result.ok, result.first_bad_seq) == (False, log["size"] - 1)
    assert "truncated" in result.problem


def test_rewritten_chain(session, log, keys, tmp_path):
    # Rewritten consistently in the database: every hash, link and the head recomputed.
    rewrite_whole_chain(session, target_seq=3)
    path = export(session, tmp_path / "w.jsonl")
    records = read_lines(path)
    # The forger also drops the stored checkpoints that would betray them.
    records = [r for r in records if r["type"] != "checkpoint"]
    records[0]["checkpoint"] = None
    result = verify(write_lines(path, records), log, keys)
    assert not result.ok
    assert "do not match the root signed in the kept checkpoint" in result.problem
    assert "rewritten" in result.problem

    # Left in, the export's own checkpoints betray the rewrite as well.
    result = verify(export(session, tmp_path / "w2.jsonl"), log, keys)
    assert not result.ok and "rewritten" in result.problem


def test_forged_kept_checkpoint_and_wrong_key(session, log, keys, tmp_path):
    path = export(session, tmp_path / "f.jsonl")
    kept = json.loads(log["kept"].read_text())
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({**kept, "tree_size": kept["tree_size"] - 1}))
    result = verify_export_file(path, forged, keys[1])
    assert not result.ok and "kept checkpoint" in result.problem
    assert "does not match" in result.problem

    _, other = generate_keys(tmp_path / "other")
    result = verify_export_file(path, log["kept"], other)
    assert not result.ok and "not with a trusted public key" in result.problem


# --- filtered exports -------------------------------------------------------------------------


def test_campaign_export_proves_each_event(session, log, keys, tmp_path):
    campaign = log["tree"].campaign
    path = export(session, tmp_path / "campaign.jsonl", campaign_id=campaign.id)
    records = read_lines(path)
    events = [r for r in records if r["type"] == "event"]
    expected = session.scalars(
        select(AuditEvent.seq).where(AuditEvent.campaign_id == campaign.id).order_by(AuditEvent.seq)
    ).all()
    assert [e["seq"] for e in events] == expected and len(expected) >= 5
    assert records[0]["filter"]["campaign_id"] == campaign.id
    assert records[0]["events"] == len(expected)
    assert all(e["inclusion_proof"] for e in events)

    result = verify(path, log, keys)
    assert result.ok, result.as_dict()
    assert not result.complete and result.events == len(expected)

    # Edited and rehashed: the line holds together, but the event is not in the signed tree.
    i = event_index(records, expected[1])
    records[i]["payload"] = records[i]["payload"].replace('"seq":', '"comment":"x","seq":', 1)
    records[i]["hash"] = hashlib.sha256(records[i]["payload"].encode()).hexdigest()
    result = verify(write_lines(tmp_path / "bad.jsonl", records), log, keys)
    assert (result.ok, result.first_bad_seq) == (False, expected[1])
    assert "inclusion proof" in result.problem


def test_a_filtered_export_claiming_another_filter(session, log, keys, tmp_path):
    campaign = log["tree"].campaign
    path = export(session, tmp_path / "campaign.jsonl", campaign_id=campaign.id)
    records = read_lines(path)
    # A whole export relabelled as a campaign's would hide missing events behind the filter.
    full = read_lines(export(session, tmp_path / "full.jsonl"))
    stray = next(r for r in full if r["type"] == "event" and '"campaign_id":null' in r["payload"])
    header = full[0] | {"filter": records[0]["filter"]}
    events = [r for r in records if r["type"] == "event"]
    stray["inclusion_proof"] = events[0]["inclusion_proof"]  # any proof: the filter fails first
    forged = [header] + [r for r in full if r["type"] == "checkpoint"] + [stray]
    result = verify(write_lines(tmp_path / "relabelled.jsonl", forged), log, keys)
    assert (result.ok, result.first_bad_seq) == (False, stray["seq"])
    assert "outside the export's filter" in result.problem
    # A date range is checked the same way.
    records[0]["filter"] = {"from": "2030-01-01T00:00:00+08:00", "to": None, "campaign_id": None}
    result = verify(write_lines(tmp_path / "dates.jsonl", records), log, keys)
    assert not result.ok and "before the filter's start" in result.problem


def test_export_with_personal_data(session, log, keys, tmp_path):
    path = tmp_path / "personal.jsonl"
    with open(path, "w", encoding="utf-8") as out:
        write_export(session, out, personal=True)
    records = read_lines(path)
    created = next(r for r in records if '"action":"nomination.create"' in r.get("payload", ""))
    nominee = log["nomination"].data
    assert created["personal"]["/after/data/name"]["value"] == json.dumps(
        nominee["name"], ensure_ascii=False
    )
    # Without the permission, no clear value is exported.
    plain = read_lines(export(session, tmp_path / "plain.jsonl"))
    assert not any("personal" in r for r in plain)
    assert nominee["name"] not in (tmp_path / "plain.jsonl").read_text(encoding="utf-8")

    result = verify(path, log, keys)
    assert result.ok, result.as_dict()
    # A clear value changed after the fact no longer matches the hashed commitment.
    created["personal"]["/after/data/name"]["value"] = json.dumps("李四", ensure_ascii=False)
    result = verify(write_lines(tmp_path / "forged.jsonl", records), log, keys)
    assert (result.ok, result.first_bad_seq) == (False, created["seq"])
    assert "/after/data/name does not match its commitment" in result.problem


def test_filtered_export_of_a_rewritten_log(session, log, keys, tmp_path):
    rewrite_whole_chain(session, target_seq=2)
    campaign = log["tree"].campaign
    path = export(session, tmp_path / "campaign.jsonl", campaign_id=campaign.id)
    records = [r for r in read_lines(path) if r["type"] != "checkpoint"]
    result = verify(write_lines(path, records), log, keys)
    assert not result.ok
    assert "no consistency proof" in result.problem
    # With the stored checkpoint's line kept, its proof does not reach the rewritten tree.
    result = verify(export(session, tmp_path / "c2.jsonl", campaign_id=campaign.id), log, keys)
    assert not result.ok and "rewritten" in result.problem


# --- the command line, in process --------------------------------------------------------------


def invoke(app, *args):
    # The commands commit or roll back the shared session: keep what the test made so far.
    db.session.commit()
    return CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))


def test_export_command_with_filters(app, session, log, keys, tmp_path):
    out = tmp_path / "cli.jsonl"
    result = invoke(app, "audit", "export", "--out", str(out))
    assert result.exit_code == 0, result.output
    total = session.scalar(select(func.count(AuditEvent.seq)))
    assert f"{total} event(s) written to {out}" in result.output
    assert f"latest checkpoint: {log['size']} events" in result.output
    verified = invoke(
        app,
        "audit",
        "verify",
        "--export",
        str(out),
        "--checkpoint",
        str(log["kept"]),
        "--public-key",
        str(keys[1]),
    )
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.output)["ok"] is True

    # Every event happened at NOW (10:00 in Beijing, 18 November): a date covers them all.
    for args, expected in (
        (("--from", "2026-11-18", "--to", "2026-11-18"), total),
        (("--from", "2026-11-18T10:00:00+08:00"), total),
        (("--to", "2026-11-18T10:00:00+08:00"), 0),
        (("--from", "2026-11-19"), 0),
        (("--campaign", str(log["tree"].campaign.id)), None),
    ):
        result = invoke(app, "audit", "export", "--out", str(out), *args)
        assert result.exit_code == 0, result.output
        header = read_lines(out)[0]
        assert header["filter"] is not None
        if expected is not None:
            assert header["events"] == expected, args
        assert verify(out, log, keys).ok

    bad = invoke(app, "audit", "export", "--out", str(out), "--from", "yesterday")
    assert bad.exit_code == 2 and "--from" in bad.output


def test_verify_command_offline_reports_the_first_bad_event(app, session, log, keys, tmp_path):
    path = export(session, tmp_path / "e.jsonl")
    records = read_lines(path)
    del records[event_index(records, 9)]
    write_lines(path, records)
    result = invoke(
        app,
        "audit",
        "verify",
        "--export",
        str(path),
        "--checkpoint",
        str(log["kept"]),
        "--public-key",
        str(keys[1]),
    )
    assert result.exit_code == 1
    assert "export FAILED at event 9: event 9 is missing" in result.output

    incomplete = invoke(app, "audit", "verify", "--export", str(path))
    assert incomplete.exit_code == 2 and "--checkpoint" in incomplete.output


# --- receipts ---------------------------------------------------------------------------------


def test_receipt_of_a_submission(session, log, keys, tmp_path):
    from nomination.audit.export import receipt
    from nomination.audit.offline import load_public_key, receipt_problem

    public = load_public_key(keys[1].read_bytes())
    n = log["nomination"]
    submitted = session.scalar(
        select(AuditEvent.seq).where(
            AuditEvent.action == "transition.recommend", AuditEvent.entity_id == str(n.id)
        )
    )
    made = receipt(session, submitted)
    # Kept as a file and checked later, with the public key alone.
    kept = json.loads(json.dumps(made))
    assert kept["event"]["payload"] == session.get(AuditEvent, submitted).payload
    assert kept["checkpoint"]["tree_size"] >= submitted
    assert receipt_problem(kept, public) is None

    edited = json.loads(json.dumps(kept))
    edited["event"]["payload"] = edited["event"]["payload"].replace("recommend", "withdraw")
    assert "does not match its hash" in receipt_problem(edited, public)
    edited["event"]["hash"] = hashlib.sha256(edited["event"]["payload"].encode()).hexdigest()
    assert "inclusion proof fails" in receipt_problem(edited, public)
    moved = json.loads(json.dumps(kept))
    moved["checkpoint"]["tree_size"] += 1
    assert "signature does not match" in receipt_problem(moved, public)
    _, other = generate_keys(tmp_path / "other")
    assert "trusted" in receipt_problem(kept, load_public_key(other.read_bytes()))

    # Events after the last checkpoint get a receipt once one covers them.
    last = session.scalar(select(func.max(AuditEvent.seq)))
    assert receipt(session, last) is None
    create_checkpoint(session, now=NOW.replace(minute=30))
    assert receipt_problem(receipt(session, last), public) is None
