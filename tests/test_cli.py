"""The ``nomination`` command, run as a real subprocess on a fresh SQLite instance folder."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask

from nomination import create_app, db
from nomination.engine.definitions import load_all

NOMINATION = Path(sys.executable).with_name("nomination")
DATABASE = "nomination.sqlite3"
PASSWORD = "cli-test-password"
WORKFLOWS = ("individual", "unit", "team", "revocation", "verification")
#: Logins the README and the demo's help text promise.
DEMO_LOGINS = (
    "admin",
    "unit1",
    "unit2",
    "unit3",
    "committee1",
    "committee2",
    "federation",
    "approver",
    "auditor",
    "judge1",
    "judge2",
    "judge3",
    "dept-hr",
    "dept-safety",
    "dept-env",
    "dept-tax",
    "dept-market",
    "dept-discipline",
)


def run(
    instance: Path, *args: str, timeout: float = 60, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run ``nomination ARGS`` with ``instance`` as its instance folder and working directory."""
    instance.mkdir(parents=True, exist_ok=True)
    full = {k: v for k, v in os.environ.items() if not k.startswith("NOMINATION_")}
    env = {**full, **(env or {}), "NOMINATION_INSTANCE_PATH": str(instance)}
    return subprocess.run(
        [str(NOMINATION), *args],
        cwd=instance,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@contextlib.contextmanager
def connect(instance: Path) -> Iterator[sqlite3.Connection]:
    """Open the instance's database; commit on success, always close."""
    conn = sqlite3.connect(instance / DATABASE)
    try:
        with conn:
            yield conn
    finally:
        conn.close()


def query(instance: Path, sql: str, *params: object) -> list[tuple]:
    with connect(instance) as conn:
        return conn.execute(sql, params).fetchall()


def row_counts(instance: Path) -> dict[str, int]:
    with connect(instance) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def clone(source: Path, target: Path) -> Path:
    """Copy the demo database into a fresh instance folder (the backup API handles WAL).

    The signing keys are shared (a link): the copy's checkpoints verify with them.
    """
    target.mkdir(parents=True, exist_ok=True)
    if (source / "keys").exists():
        (target / "keys").symlink_to(source / "keys")
    src = sqlite3.connect(source / DATABASE)
    dst = sqlite3.connect(target / DATABASE)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return target


def stored_utc(text: str) -> datetime:
    """Read a timestamp column (naive UTC text) as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def audit_count(instance: Path) -> int:
    return query(instance, "SELECT count(*) FROM audit_event")[0][0]


def verify(instance: Path) -> tuple[subprocess.CompletedProcess, dict]:
    result = run(instance, "audit", "verify")
    return result, json.loads(result.stdout)


@dataclass(frozen=True)
class Demo:
    instance: Path
    output: str


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """One instance with the demo loaded, shared by the checks that only read it."""
    instance = tmp_path_factory.mktemp("demo")
    result = run(instance, "demo", "--password", PASSWORD)
    assert result.returncode == 0, result.stderr
    return Demo(instance, result.stdout)


@contextlib.contextmanager
def in_process_app(instance: Path) -> Iterator[Flask]:
    """The application on the instance's database, without leaving the shared session bound."""
    # create_app binds the global scoped session to its engine: give it back afterwards, so
    # that tests running later in this process keep talking to their own database.
    bind = db.session.session_factory.kw.get("bind")
    app = create_app(
        {
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": f"sqlite:///{instance}/{DATABASE}",
            "SECRET_KEY": "x",
        }
    )
    try:
        yield app
    finally:
        db.session.remove()
        app.extensions["nomination.engine"].dispose()
        db.session.configure(bind=bind)


def me(app: Flask, token: str) -> tuple[int, dict | None]:
    response = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    return response.status_code, response.get_json(silent=True)


# --- database --------------------------------------------------------------------------------


def test_db_upgrade_creates_the_database_and_runs_twice(tmp_path):
    database = tmp_path / DATABASE
    assert not database.exists()

    first = run(tmp_path, "db", "upgrade")
    assert first.returncode == 0, first.stderr
    assert "database is up to date" in first.stdout
    assert database.is_file()
    tables = row_counts(tmp_path)
    assert {"alembic_version", "audit_event", "audit_head", "nomination", "user_account"} <= set(
        tables
    )
    assert tables["alembic_version"] == 1

    second = run(tmp_path, "db", "upgrade")
    assert second.returncode == 0, second.stderr
    assert row_counts(tmp_path) == tables

    result, report = verify(tmp_path)
    assert result.returncode == 0, result.stderr
    assert report == {
        "ok": True,
        "checked": 0,
        "first_bad_seq": None,
        "problem": None,
        "redacted": 0,
        # The Merkle tree of no events, and no checkpoint yet.
        "tree_size": 0,
        "root_hash": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "checkpoints": 0,
        "first_bad_checkpoint": None,
        "kept_checkpoint": None,
        "clock_warnings": [],
    }


# --- demo ------------------------------------------------------------------------------------


def test_demo_prints_logins_and_password(demo):
    lines = demo.output.splitlines()
    assert lines[0] == "demo data loaded"
    assert f"password: {PASSWORD}" in lines[1]
    listed = {line.split()[0] for line in lines[2:]}
    assert set(DEMO_LOGINS) <= listed
    # Every login printed exists, active, in the database.
    users = dict(query(demo.instance, "SELECT username, active FROM user_account"))
    assert listed <= set(users)
    assert all(users[name] for name in listed)


def test_demo_makes_a_signing_key_and_signs_its_stages(demo, tmp_path):
    assert (demo.instance / "keys" / "audit-signing-key.pem").exists()
    reasons = dict(
        query(demo.instance, "SELECT reason, count(*) FROM audit_checkpoint GROUP BY reason")
    )
    assert reasons.get("stage closed", 0) > 0 and reasons.get("notice published", 0) > 0
    again = run(clone(demo.instance, tmp_path / "again"), "demo", "--password", PASSWORD)
    assert again.returncode == 0, again.stderr
    assert "signing key made" not in again.stderr  # the key is kept, never replaced


def test_demo_twice_duplicates_nothing(demo, tmp_path):
    instance = clone(demo.instance, tmp_path / "again")
    before = row_counts(instance)
    assert before["user_account"] >= len(DEMO_LOGINS)
    assert before["nomination"] > 0 and before["audit_event"] > 0

    again = run(instance, "demo", "--password", PASSWORD)
    assert again.returncode == 0, again.stderr
    assert "already present; nothing duplicated" in again.stdout
    assert "demo data loaded" not in again.stdout
    assert row_counts(instance) == before


# --- audit -----------------------------------------------------------------------------------


def test_audit_verify_after_demo(demo):
    result, report = verify(demo.instance)
    assert result.returncode == 0, result.stderr
    assert report["ok"] is True
    assert report["checked"] == audit_count(demo.instance) > 0
    assert report["first_bad_seq"] is None
    assert "FAILED" not in result.stderr


def _middle(conn: sqlite3.Connection) -> int:
    (last,) = conn.execute("SELECT max(seq) FROM audit_event").fetchone()
    (seq,) = conn.execute(
        "SELECT min(seq) FROM audit_event WHERE comment IS NOT NULL AND seq >= ?", (last // 2,)
    ).fetchone()
    assert 1 < seq < last
    return seq


def _remove_protection(conn: sqlite3.Connection) -> None:
    # Someone with access to the database file first drops the triggers that refuse changes.
    names = conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()
    for (name,) in names:
        conn.execute(f'DROP TRIGGER "{name}"')


def _edit_comment(conn: sqlite3.Connection) -> tuple[int, str]:
    seq = _middle(conn)
    conn.execute("UPDATE audit_event SET comment = comment || '(改)' WHERE seq = ?", (seq,))
    return seq, "columns differ"


def _edit_payload(conn: sqlite3.Connection) -> tuple[int, str]:
    seq = _middle(conn)
    (payload,) = conn.execute("SELECT payload FROM audit_event WHERE seq = ?", (seq,)).fetchone()
    record = json.loads(payload)
    record["actor_name"] = "someone else"
    forged = json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    conn.execute("UPDATE audit_event SET payload = ? WHERE seq = ?", (forged, seq))
    return seq, "does not match its hash"


def _rewrite_and_rehash(conn: sqlite3.Connection) -> tuple[int, str]:
    # A careful forger rewrites comment, payload and hash alike: the next event's link breaks.
    import hashlib

    seq = _middle(conn)
    (payload,) = conn.execute("SELECT payload FROM audit_event WHERE seq = ?", (seq,)).fetchone()
    record = json.loads(payload)
    record["comment"] = "rewritten"
    forged = json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(forged.encode()).hexdigest()
    conn.execute(
        "UPDATE audit_event SET comment = 'rewritten', payload = ?, hash = ? WHERE seq = ?",
        (forged, digest, seq),
    )
    return seq + 1, "not linked"


def _delete_middle(conn: sqlite3.Connection) -> tuple[int, str]:
    seq = _middle(conn)
    conn.execute("DELETE FROM audit_event WHERE seq = ?", (seq,))
    return seq, "missing"


def _delete_last(conn: sqlite3.Connection) -> tuple[int, str]:
    (last,) = conn.execute("SELECT max(seq) FROM audit_event").fetchone()
    conn.execute("DELETE FROM audit_event WHERE seq = ?", (last,))
    return last, "deleted from the end"


@pytest.mark.parametrize(
    "tamper",
    [_edit_comment, _edit_payload, _rewrite_and_rehash, _delete_middle, _delete_last],
    ids=["edit-comment", "edit-payload", "rewrite-and-rehash", "delete-middle", "delete-last"],
)
def test_audit_verify_names_the_first_bad_event(demo, tmp_path, tamper):
    instance = clone(demo.instance, tmp_path / "tampered")
    with connect(instance) as conn:
        _remove_protection(conn)
        bad, problem = tamper(conn)

    result, report = verify(instance)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert report["ok"] is False
    assert report["first_bad_seq"] == bad
    assert report["checked"] == bad - 1
    assert problem in report["problem"]
    assert f"audit trail FAILED at event {bad}: {report['problem']}" in result.stderr
    assert "Traceback" not in result.stderr


# --- API tokens ------------------------------------------------------------------------------


def test_token_create_works_against_the_api_until_revoked(demo, tmp_path):
    instance = clone(demo.instance, tmp_path / "tokens")
    created = run(instance, "token", "create", "unit1", "--name", "ci")
    assert created.returncode == 0, created.stderr
    lines = created.stdout.splitlines()
    assert len(lines) == 1
    token = lines[0].strip()
    assert token.startswith("nom_") and len(token) > 30

    # Stored hashed: the token itself is nowhere in the table.
    rows = query(
        instance,
        "SELECT t.name, t.token_hash, t.revoked_at FROM api_token t "
        "JOIN user_account u ON u.id = t.user_id WHERE u.username = 'unit1'",
    )
    assert len(rows) == 1
    name, token_hash, revoked_at = rows[0]
    assert (name, revoked_at) == ("ci", None)
    assert token not in token_hash and token_hash

    with in_process_app(instance) as app:
        status, body = me(app, token)
        assert status == 200, body
        assert body["username"] == "unit1"
        assert me(app, token + "x")[0] == 401

        revoked = run(instance, "token", "revoke", "unit1")
        assert revoked.returncode == 0, revoked.stderr
        assert "1 token(s) revoked" in revoked.stdout
        assert me(app, token)[0] == 401

    assert query(instance, "SELECT revoked_at IS NOT NULL FROM api_token") == [(1,)]
    result, report = verify(instance)
    assert result.returncode == 0 and report["ok"], result.stderr


@pytest.mark.parametrize("command", ["create", "revoke"])
def test_token_for_an_unknown_user_is_refused(demo, command):
    before = row_counts(demo.instance)
    result = run(demo.instance, "token", command, "nosuch")
    assert result.returncode != 0
    assert "no user 'nosuch'" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert row_counts(demo.instance) == before


# --- timers ----------------------------------------------------------------------------------


def test_tick_refuses_a_naive_time(demo):
    before = row_counts(demo.instance)
    result = run(demo.instance, "tick", "--now", "2020-01-01T00:00:00")
    assert result.returncode != 0
    assert "--now" in result.stderr
    assert "give a time zone" in result.stderr
    assert "Traceback" not in result.stderr
    assert "fired" not in result.stdout
    assert row_counts(demo.instance) == before


def test_tick_refuses_an_unreadable_time(demo):
    result = run(demo.instance, "tick", "--now", "next tuesday")
    assert result.returncode == 2
    assert "--now" in result.stderr
    assert "Traceback" not in result.stderr


def _timers(instance: Path) -> dict[int, tuple[str, str, datetime]]:
    rows = query(
        instance,
        "SELECT id, state, timer_trigger, timer_due_at FROM nomination "
        "WHERE timer_due_at IS NOT NULL",
    )
    return {id_: (state, trigger, stored_utc(due)) for id_, state, trigger, due in rows}


def _states(instance: Path) -> dict[int, tuple[str, str | None]]:
    rows = query(instance, "SELECT id, state, state_entered_at FROM nomination")
    return {id_: (state, entered) for id_, state, entered in rows}


def test_tick_fires_due_timers_once(demo, tmp_path):
    instance = clone(demo.instance, tmp_path / "tick")
    timers = _timers(instance)
    on_notice = {i for i, (state, _, _) in timers.items() if state == "public_notice"}
    returned = {i for i, (state, _, _) in timers.items() if state == "returned"}
    assert on_notice and returned, timers

    now = datetime.now(UTC) + timedelta(days=40)
    # Chosen after every timer: all of them are due at --now.
    assert now > max(due for _, _, due in timers.values())
    # Near a year's end the demo's periods run into a provisional year: they wait for it
    # (a tick leaves them), until the administrator confirms the year.
    waiting = _provisional_years(instance)
    for year in waiting:
        confirmed = run(instance, "calendar", "confirm", str(year), "--reason", "通知尚未发布")
        assert confirmed.returncode == 0, confirmed.stderr
    events = audit_count(instance)

    first = run(instance, "tick", "--now", now.isoformat())
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    fired = int(re.fullmatch(r"(\d+) timer\(s\) fired", lines[0])[1])
    assert fired >= len(timers) > 0
    # After the fired timers, tick reports the reminders it wrote (the demo's consultation
    # requests are overdue by then).
    timer_lines = [line for line in lines[1:] if line.startswith("  nomination ")]
    assert len(timer_lines) == fired
    reported = dict(
        re.fullmatch(r"\s+nomination (\d+): now (\w+)", line).groups() for line in timer_lines
    )
    assert any(re.fullmatch(r"\d+ reminder\(s\) written", line) for line in lines[1:])
    assert {int(i) for i in reported} == set(timers)

    states = _states(instance)
    for id_, state in reported.items():
        assert states[int(id_)][0] == state
    for id_ in on_notice:
        state, entered = states[id_]
        assert state == "final_approval"
        # The move counts from when the notice closed, not from when the tick ran.
        assert stored_utc(entered) == timers[id_][2]
    for id_ in returned:
        assert states[id_][0] not in ("returned", "public_notice")
    assert not any(due <= now for _, _, due in _timers(instance).values())
    assert audit_count(instance) == events + fired

    second = run(instance, "tick", "--now", now.isoformat())
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "0 timer(s) fired"
    assert _states(instance) == states
    assert audit_count(instance) == events + fired

    result, report = verify(instance)
    assert result.returncode == 0, result.stderr
    assert report["ok"] is True and report["checked"] == events + fired


def _provisional_years(instance: Path) -> list[int]:
    """The years the provisional timers of ``instance`` end in (Beijing time)."""
    rows = query(instance, "SELECT timer_due_at FROM nomination WHERE timer_provisional")
    return sorted({(stored_utc(due) + timedelta(hours=8)).year for (due,) in rows})


def test_calendar_commands_show_set_and_confirm(tmp_path):
    assert run(tmp_path, "db", "upgrade").returncode == 0
    shown = run(tmp_path, "calendar", "show", "2027")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("2027: provisional")
    assert "2027-02-05" in shown.stdout  # New Year's Eve, a statutory day off
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('[2027]\nholidays = ["2027-01-02"]\nsource = "x"\n', encoding="utf-8")
    refused = run(tmp_path, "calendar", "set", "2027", "--file", str(wrong))
    assert refused.returncode == 1
    assert "holidays: 2027-01-02" in refused.stderr and "Traceback" not in refused.stderr
    good = tmp_path / "holidays.toml"
    good.write_text(
        '[2027]\nholidays = ["2027-01-01", "2027-02-05/2027-02-11", "2027-04-05", '
        '"2027-06-09", "2027-09-15", "2027-10-01"]\n'
        'workdays = ["2027-02-20"]\nsource = "国办发明电〔2026〕7号"\n',
        encoding="utf-8",
    )
    dry = run(tmp_path, "calendar", "set", "2027", "--file", str(good), "--dry-run")
    assert dry.returncode == 0 and "no open period would move" in dry.stdout
    assert run(tmp_path, "calendar", "show", "2027").stdout.startswith("2027: provisional")
    entered = run(tmp_path, "calendar", "set", "2027", "--file", str(good))
    assert entered.returncode == 0, entered.stderr
    shown = run(tmp_path, "calendar", "show", "2027").stdout
    assert shown.startswith("2027: official") and "国办发明电" in shown
    assert "weekend days worked: 2027-02-20" in shown
    assert query(tmp_path, "SELECT action FROM audit_event WHERE action LIKE 'calendar.%'") == [
        ("calendar.set",)
    ]
    again = run(tmp_path, "calendar", "confirm", "2027", "--reason", "x")
    assert again.returncode == 1 and "not provisional" in again.stderr
    confirmed = run(tmp_path, "calendar", "confirm", "2028", "--reason", "通知未发布")
    assert confirmed.returncode == 0, confirmed.stderr
    assert run(tmp_path, "calendar", "show", "2028").stdout.startswith("2028: confirmed")
    typo = run(tmp_path, "calendar", "show", "2000")
    assert typo.returncode == 2 and "typing error" in typo.stderr


# --- workflows -------------------------------------------------------------------------------


def test_workflow_check_lists_the_workflows(tmp_path):
    result = run(tmp_path, "workflow", "check")
    assert result.returncode == 0, result.stderr
    listed = {line.split()[1] for line in result.stdout.splitlines() if line.startswith("ok ")}
    assert listed == set(WORKFLOWS)


def test_workflow_graph_writes_svg(tmp_path):
    result = run(tmp_path, "workflow", "graph", "team", "--out", "F.svg")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "F.svg"
    svg = (tmp_path / "F.svg").read_text(encoding="utf-8")
    assert "<svg" in svg and svg.rstrip().endswith("</svg>")
    states = load_all()["team"].states
    assert {"draft", "public_notice", "final_approval"} <= set(states)
    for name, state in states.items():
        assert f"<title>{name}</title>" in svg
        assert state.label["zh"] in svg


def test_workflow_graph_of_an_unknown_workflow(tmp_path):
    result = run(tmp_path, "workflow", "graph", "nosuch")
    assert result.returncode != 0
    assert "no workflow 'nosuch'" in result.stderr
    known = result.stderr.split("known:", 1)[1]
    for name in WORKFLOWS:
        assert name in known
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "nosuch.svg").exists()


# --- serving ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    """Terminate the server's process group (master and workers) and reap the master."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def _group_gone(pgid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_serve_answers_with_gunicorn(tmp_path):
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOMINATION_")}
    env["NOMINATION_INSTANCE_PATH"] = str(tmp_path)
    out_path, err_path = tmp_path / "serve.out", tmp_path / "serve.err"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(
            [str(NOMINATION), "serve", "--port", str(port), "--workers", "2"],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 20
        response = None
        while response is None:
            assert proc.poll() is None, err_path.read_text()
            assert time.monotonic() < deadline, "no answer within 20 s: " + err_path.read_text()
            try:
                with urllib.request.urlopen(url + "login", timeout=2) as r:
                    response = (r.status, r.headers.get("Server", ""), r.read())
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        status, server, body = response
        assert status == 200
        assert server.lower().startswith("gunicorn")
        assert b"<form" in body
        # An objector's reference is their secret: it must not reach the access log.
        try:
            urllib.request.urlopen(url + "api/v1/objections/YY-SECRET0000", timeout=5)
        except urllib.error.HTTPError as missing:
            assert missing.code == 404
    finally:
        _stop(proc)
    assert _group_gone(proc.pid, within=5), "server processes left behind"
    output = out_path.read_text(encoding="utf-8")
    assert f"serving on {url}" in output
    # The access log records the path of each request.
    assert '"GET /login" 200' in output
    assert '"GET /api/v1/objections/***" 404' in output
    assert "YY-SECRET0000" not in output
    assert (tmp_path / DATABASE).is_file()


def test_audit_erase_redacts_and_verification_still_passes(tmp_path, demo):
    instance = clone(demo.instance, tmp_path / "erase")
    (nomination_id,) = query(instance, "SELECT MIN(id) FROM nomination")[0]
    refused = run(instance, "audit", "erase", str(nomination_id))
    assert refused.returncode != 0 and "--reason" in refused.stderr
    erased = run(instance, "audit", "erase", str(nomination_id), "--reason", "本人申请删除")
    assert erased.returncode == 0, erased.stderr
    assert erased.stdout.startswith("erased ")
    result, report = verify(instance)
    assert result.returncode == 0, result.stderr
    assert report["ok"] and report["redacted"] > 0
    again = run(instance, "audit", "erase", str(nomination_id), "--reason", "again")
    assert again.returncode != 0 and "no personal data" in again.stderr


def test_campaign_quota_and_bar_commands(demo, tmp_path):
    instance = clone(demo.instance, tmp_path / "rules")
    (campaign_id,) = query(instance, "SELECT max(id) FROM campaign")[0]
    unit = query(instance, "SELECT code FROM organisation WHERE kind = 'unit' ORDER BY id")[0][0]
    set_it = run(instance, "campaign", "quota", str(campaign_id), unit, "individual", "1")
    assert set_it.returncode == 0, set_it.stderr
    assert query(
        instance,
        "SELECT q.places FROM quota q JOIN organisation o ON o.id = q.committee_id "
        f"WHERE o.code = '{unit}' AND q.kind = 'individual' AND q.campaign_id = {campaign_id}",
    ) == [(1,)]
    barred = run(instance, "campaign", "bar", unit, "2026", "--reason", "拖欠职工工资")
    assert barred.returncode == 0, barred.stderr
    assert query(instance, "SELECT year, reason FROM unit_bar") == [(2026, "拖欠职工工资")]
    assert query(instance, "SELECT count(*) FROM audit_event WHERE action = 'unit.bar'") == [(1,)]
    # Mistakes are named, without a traceback.
    wrong = run(instance, "campaign", "quota", str(campaign_id), "NO-SUCH-ORG", "individual", "1")
    assert wrong.returncode == 2 and "NO-SUCH-ORG" in wrong.stderr
    federation = query(instance, "SELECT code FROM organisation WHERE kind = 'federation'")[0][0]
    refused = run(instance, "campaign", "quota", str(campaign_id), federation, "individual", "3")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr


def test_init_sets_a_fresh_instance_up_once(tmp_path):
    env = {"NOMINATION_INIT_PASSWORD": "first-start-password"}
    args = ["--federation-code", "CY-ZGH", "--federation-name", "北京市朝阳区总工会"]
    args += ["--admin", "admin", "--admin-name", "张建华", "--closing-hour", "18"]
    first = run(tmp_path, "init", *args, env=env)
    assert first.returncode == 0, first.stderr
    assert "log in as admin" in first.stdout
    assert query(tmp_path, "SELECT timezone, closing_hour FROM instance_settings") == [
        ("Asia/Shanghai", 18)
    ]
    again = run(tmp_path, "init", *args, env=env)
    assert again.returncode == 1 and "Traceback" not in again.stderr
    assert query(tmp_path, "SELECT count(*) FROM user_account") == [(1,)]
    wrong = run(tmp_path / "other", "init", *args[:4], "--admin", "a", "--admin-name", "x", env=env)
    assert wrong.returncode == 1 and "username:" in wrong.stderr
