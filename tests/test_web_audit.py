"""The auditors' log page: the latest events with their changes, filters, and verification."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, text

from nomination.engine import fire
from nomination.models import AuditEvent, AuditHead

from factories import recommendation
from tampering import remove_protection
from test_web_support import login

#: The fixtures (web_client, new_web_client, web) are shared by the web tests.
pytest_plugins = ["test_web_support"]
pytestmark = pytest.mark.usefixtures("web")


@pytest.fixture(autouse=True)
def verification_file(app, tmp_path, monkeypatch):
    """Keep this test's last verification in a file of its own."""
    monkeypatch.setitem(app.config, "AUDIT_VERIFICATION_FILE", str(tmp_path / "verified.json"))


@pytest.fixture
def nomination(session, create_nomination_for, web):
    """Unit1's nomination, recommended; committed so that the page reads it."""
    n = create_nomination_for("unit1")
    fire(n, "recommend", web.users["unit1"], data=recommendation())
    session.commit()
    return n


def shown_seqs(html: str) -> list[int]:
    """Return the sequence numbers of the events listed, in page order."""
    table = html[html.index('id="events"') :]
    return [int(seq) for seq in re.findall(r'<tr data-seq="(\d+)">', table)]


def listed_actions(html: str) -> list[str]:
    """Return the actions of the events listed, in page order."""
    return re.findall(r'<td data-action="([^"]+)"', html)


def test_auditor_sees_the_latest_events_with_their_changes(web_client, nomination, session):
    login(web_client, "auditor")
    page = web_client.get("/audit/")
    assert page.status_code == 200
    head = session.get(AuditHead, 1)
    assert f'id="head-seq">{head.seq}<' in page.text
    assert head.hash in page.text
    # Newest first; each with its hash prefix and its changes field by field.
    seqs = shown_seqs(page.text)
    assert seqs == sorted(seqs, reverse=True)
    assert seqs[0] == head.seq
    recommend = session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "transition.recommend",
            AuditEvent.entity_id == str(nomination.id),
        )
    )
    row = page.text[page.text.index(f'<tr data-seq="{recommend.seq}">') :]
    row = row[: row.index("</tr>")]
    assert recommend.hash[:12] in row and recommend.hash not in row
    assert f'data-entity="nomination:{nomination.id}"' in row  # the raw entity, kept
    assert f"data-timeline>推荐 {nomination.id}</a>" in row  # and as people read it
    assert f'href="/audit/nominations/{nomination.id}"' in row
    assert '状态</span>: <span class="text-body-secondary">单位推荐中</span> → 工委审核' in row
    assert '版本</span>: <span class="text-body-secondary">1</span> → 2' in row
    assert "同意推荐。" in row


def test_verification_runs_from_its_page(web_client, nomination, session):
    login(web_client, "auditor")
    page = web_client.get("/audit/verify")
    assert 'data-ok="none"' in page.text
    page = web_client.post("/audit/verify")
    assert page.status_code == 200
    assert 'data-ok="true"' in page.text and ">通过<" in page.text and ">ok<" not in page.text
    count = session.scalar(select(func.count(AuditEvent.seq)))
    assert f'id="checked">{count}<' in page.text
    # The result is kept: the page shows it next time, and so does the log.
    assert 'data-ok="true"' in web_client.get("/audit/verify").text
    assert 'id="last-ok">通过<' in web_client.get("/audit/").text


def test_filters_by_action_and_nomination(web_client, nomination, create_nomination_for, session):
    other = create_nomination_for("unit2", files=False)  # its creation is its only event
    session.commit()
    login(web_client, "auditor")

    page = web_client.get("/audit/", query_string={"action": "transition."})
    actions = listed_actions(page.text)
    assert "transition.recommend" in actions
    assert all(action.startswith("transition.") for action in actions)
    both = {"action": "transition.", "entity": nomination.id}
    assert listed_actions(web_client.get("/audit/", query_string=both).text) == [
        "transition.recommend"
    ]

    page = web_client.get("/audit/", query_string={"entity": other.id})
    expected = session.scalars(
        select(AuditEvent.seq)
        .where(AuditEvent.entity_type == "nomination", AuditEvent.entity_id == str(other.id))
        .order_by(AuditEvent.seq.desc())
    ).all()
    assert shown_seqs(page.text) == expected == [expected[0]]

    page = web_client.get("/audit/", query_string={"action": "no.such.action"})
    assert 'id="no-events"' in page.text


def test_a_tampered_event_is_reported_with_its_sequence_number(web_client, nomination, session):
    seq = session.scalar(
        select(AuditEvent.seq).where(
            AuditEvent.entity_type == "nomination",
            AuditEvent.entity_id == str(nomination.id),
            AuditEvent.action == "nomination.create",
        )
    )
    # Someone with the database owner's access rewrites what the event says happened.
    remove_protection(session)
    session.execute(
        text("UPDATE audit_event SET payload = REPLACE(payload, 'unit1', 'unit2') WHERE seq = :s"),
        {"s": seq},
    )
    session.commit()
    login(web_client, "auditor")
    page = web_client.post("/audit/verify")
    assert page.status_code == 200
    assert 'data-ok="false"' in page.text
    assert f'id="first-bad-seq">{seq}<' in page.text
    assert "payload does not match its hash" in page.text


@pytest.mark.parametrize("username", ["unit1", "committee1", "federation"])
def test_only_auditors_and_administrators_open_it(web_client, username):
    login(web_client, username)
    assert web_client.get("/audit/").status_code == 403


def test_administrators_open_it(web_client):
    login(web_client, "admin")
    assert web_client.get("/audit/").status_code == 200


def test_the_checkpoint_says_why_it_was_signed_in_the_readers_language(
    app, tmp_path, monkeypatch, web_client, session, create_nomination_for, web
):
    from nomination.audit.checkpoints import generate_keys

    monkeypatch.setitem(app.config, "AUDIT_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.delitem(app.config, "AUDIT_PRIVATE_KEY", raising=False)
    monkeypatch.delenv("NOMINATION_AUDIT_PRIVATE_KEY", raising=False)
    generate_keys(tmp_path / "keys")
    n = create_nomination_for("unit1")
    fire(n, "recommend", web.users["unit1"], data=recommendation())  # signs: a stage closed
    session.commit()
    login(web_client, "auditor")
    for language, reason in (("zh", "办理阶段结束"), ("en", "End of a stage")):
        page = web_client.get("/audit/verify", query_string={"lang": language}).text
        shown = page[page.index('id="checkpoint"') :]
        shown = shown[: shown.index('id="checkpoint-root"')]
        assert reason in shown and "stage closed" not in shown
