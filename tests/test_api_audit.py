"""The audit trail through the API: verification covers the chain, the tree and checkpoints."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from test_checkpoints import bulk_events

from nomination.audit.checkpoints import create_checkpoint, generate_keys
from nomination.models import Checkpoint

from tampering import remove_protection
from test_api_support import Api


@pytest.fixture
def api(client, session, tree, app, tmp_path, monkeypatch) -> Api:
    monkeypatch.setitem(app.config, "AUDIT_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.delitem(app.config, "AUDIT_PRIVATE_KEY", raising=False)
    monkeypatch.delenv("NOMINATION_AUDIT_PRIVATE_KEY", raising=False)
    monkeypatch.setitem(app.config, "AUDIT_VERIFICATION_FILE", str(tmp_path / "verified.json"))
    generate_keys(tmp_path / "keys")
    return Api(client, session, tree)


def test_verification_checks_the_checkpoints_too(api, session):
    cp = create_checkpoint(session)
    session.commit()
    report = api.get("/audit/verify", user="auditor")
    assert report.status_code == 200
    body = report.json
    assert body["ok"] is True and body["finished"] is True
    assert body["checkpoints"] == 1 and body["tree_size"] == cp.tree_size
    assert body["root_hash"] == cp.root_hash and body["by"] == "auditor"

    # A root changed in the table (the chain itself is untouched) fails the verification.
    remove_protection(session)
    session.execute(update(Checkpoint).values(root_hash="0" * 64))
    session.commit()
    body = api.get("/audit/verify", user="auditor").json
    assert body["ok"] is False and body["first_bad_checkpoint"] == cp.id
    assert "does not match" in body["problem"] or "no longer matches" in body["problem"]


def test_verification_is_bounded_in_time_and_continues(api, app, session, monkeypatch):
    bulk_events(session, 300)
    session.commit()
    monkeypatch.setitem(app.config, "AUDIT_VERIFY_SECONDS", 0)
    body = api.get("/audit/verify", user="admin").json
    assert body["finished"] is False and body["ok"] is None
    assert body["checked"] == 256 and body["of"] > 256
    # Without ?continue a new run starts from the first event again.
    assert api.get("/audit/verify", user="admin").json["checked"] == 256
    body = api.get("/audit/verify?continue=1", user="admin").json
    assert body["finished"] is True and body["ok"] is True and body["runs"] == 2
    assert body["checked"] == body["of"] == body["tree_size"]


@pytest.mark.parametrize("user", ["unit1", "committee1", "federation"])
def test_only_auditors_and_administrators_verify(api, user):
    response = api.get("/audit/verify", user=user)
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"
