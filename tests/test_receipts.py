"""Receipts: the nominating unit's for its submission, the objector's for their objection."""

from __future__ import annotations

import pytest

from nomination.audit.checkpoints import create_checkpoint, generate_keys
from nomination.audit.offline import load_public_key, receipt_problem
from nomination.engine import fire
from nomination.models import NoticeEntry

from factories import recommendation
from test_api_support import OBJECTION
from test_web_support import as_form, login, walk_to_notice

pytest_plugins = ["test_web_support"]
pytestmark = pytest.mark.usefixtures("web")


@pytest.fixture(autouse=True)
def public_key(app, tmp_path, monkeypatch):
    """This test's own signing key; returns its public half."""
    folder = tmp_path / "keys"
    monkeypatch.setitem(app.config, "AUDIT_KEY_DIR", str(folder))
    monkeypatch.delitem(app.config, "AUDIT_PRIVATE_KEY", raising=False)
    monkeypatch.delenv("NOMINATION_AUDIT_PRIVATE_KEY", raising=False)
    _, public = generate_keys(folder)
    return load_public_key(public.read_bytes())


@pytest.fixture
def recommended(session, create_nomination_for, web):
    """Unit1's nomination, recommended: leaving the draft stage signs a checkpoint."""
    n = create_nomination_for("unit1")
    fire(n, "recommend", web.users["unit1"], data=recommendation())
    session.commit()
    return n


def test_the_unit_gets_its_receipt_when_the_stage_closes(web_client, recommended, public_key):
    login(web_client, "unit1")
    page = web_client.get(f"/nominations/{recommended.id}")
    assert 'id="receipt-download"' in page.text
    assert f'href="/api/v1/nominations/{recommended.id}/receipt"' in page.text
    response = web_client.get(f"/api/v1/nominations/{recommended.id}/receipt")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    receipt = response.json
    assert receipt_problem(receipt, public_key) is None
    assert '"action":"transition.recommend"' in receipt["event"]["payload"]
    # The checkpoint is the one signed in the recommendation's own transaction.
    assert receipt["checkpoint"]["tree_size"] == receipt["event"]["seq"]
    # Tampering with the receipt is detected offline.
    receipt["event"]["payload"] = receipt["event"]["payload"].replace("unit1", "unit2")
    assert receipt_problem(receipt, public_key) is not None


def test_without_a_key_the_receipt_waits_for_the_next_checkpoint(
    app, web_client, session, create_nomination_for, web, public_key, tmp_path, monkeypatch
):
    keys = app.config["AUDIT_KEY_DIR"]
    monkeypatch.setitem(app.config, "AUDIT_KEY_DIR", str(tmp_path / "no-keys-here"))
    n = create_nomination_for("unit1")
    fire(n, "recommend", web.users["unit1"], data=recommendation())
    session.commit()
    login(web_client, "unit1")
    assert 'id="receipt-pending"' in web_client.get(f"/nominations/{n.id}").text
    response = web_client.get(f"/api/v1/nominations/{n.id}/receipt")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "receipt_pending"
    assert "after the next checkpoint" in response.json["error"]["message"]

    monkeypatch.setitem(app.config, "AUDIT_KEY_DIR", keys)
    create_checkpoint(session)
    session.commit()
    assert 'id="receipt-download"' in web_client.get(f"/nominations/{n.id}").text
    receipt = web_client.get(f"/api/v1/nominations/{n.id}/receipt").json
    assert receipt_problem(receipt, public_key) is None


@pytest.mark.parametrize(("user", "status"), [("unit2", 404), ("committee1", 403)])
def test_only_the_unit_and_auditors_get_it(
    client, session, recommended, user, status, new_web_client
):
    login(client, user)
    assert client.get(f"/api/v1/nominations/{recommended.id}/receipt").status_code == status
    page = client.get(f"/nominations/{recommended.id}")
    assert 'id="receipt' not in page.text
    auditor = new_web_client()
    login(auditor, "auditor")
    assert auditor.get(f"/api/v1/nominations/{recommended.id}/receipt").status_code == 200


def test_a_draft_has_no_receipt(client, session, create_nomination_for):
    n = create_nomination_for("unit1")
    session.commit()
    login(client, "unit1")
    response = client.get(f"/api/v1/nominations/{n.id}/receipt")
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    assert 'id="receipt' not in client.get(f"/nominations/{n.id}").text


def test_the_objector_gets_a_receipt_for_their_objection(
    session, create_nomination_for, web, new_web_client, public_key
):
    n = create_nomination_for("unit1")
    walk_to_notice(n, web)
    session.commit()
    public = new_web_client()
    response = public.post(f"/notices/{n.id}/object", data=as_form(OBJECTION))
    assert response.status_code == 302
    page = public.get("/notices/objections/received")
    reference = page.text.split('id="objection-reference">')[1].split("<")[0]
    # The objection moved the nomination to its review: that checkpoint covers it.
    assert f'href="/api/v1/objections/{reference}/receipt"' in page.text
    receipt = public.get(f"/api/v1/objections/{reference}/receipt").json
    assert receipt_problem(receipt, public_key) is None
    assert '"action":"transition.object"' in receipt["event"]["payload"]
    # The receipt names neither the objector nor the reference.
    assert OBJECTION["objector_name"] not in receipt["event"]["payload"]
    assert reference not in receipt["event"]["payload"]
    assert public.get("/api/v1/objections/YY-000000000000/receipt").status_code == 404


def test_the_objector_reads_a_plain_receipt_and_the_proof_on_request(
    session, create_nomination_for, web, new_web_client, public_key
):
    n = create_nomination_for("unit1")
    walk_to_notice(n, web)
    session.commit()
    entry = session.query(NoticeEntry).filter_by(nomination_id=n.id).one()
    public = new_web_client()
    assert public.post(f"/notices/{n.id}/object", data=as_form(OBJECTION)).status_code == 302
    page = public.get("/notices/objections/received").text
    reference = page.split('id="objection-reference">')[1].split("<")[0]
    # In plain words: about whom, on which day, the reference to quote, and what comes next.
    plain, proof = page.split('id="technical-receipt"')
    what = plain.split('id="receipt-what">')[1].split("</p>")[0]
    assert entry.nominee_name in what and entry.unit_name in what and "2026年11月18日" in what
    assert "个工作日内" in plain.split('id="receipt-next">')[1]
    # The checkpoint's root hash and key id are one click away, in a closed <details>.
    receipt = public.get(f"/api/v1/objections/{reference}/receipt").json
    root, key = receipt["checkpoint"]["root_hash"], receipt["checkpoint"]["key_id"]
    assert root not in plain and key not in plain
    assert (
        root in proof and "<summary" in proof and "<details" in page.split("technical-receipt")[0]
    )
    # The API's receipt keeps its proof and adds the objection in plain words.
    assert receipt_problem(receipt, public_key) is None
    assert receipt["objection"]["reference"] == reference
    assert receipt["objection"]["received_on"] == "2026-11-18"
    assert entry.nominee_name in receipt["objection"]["receipt"]["zh"]
    assert reference in receipt["objection"]["receipt"]["en"]
    # Looking the objection up says what it was about.
    looked_up = public.post("/notices/objections", data={"reference": reference}).text
    assert entry.nominee_name in looked_up.split("data-about>")[1].split("<")[0]
