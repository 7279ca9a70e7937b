"""A new award kind added by two TOML files alone runs the whole path, in the API and pages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from nomination import db, engine
from nomination.actors import SYSTEM
from nomination.administration.campaigns import available_awards, create_campaign, set_quota
from nomination.audit.chain import verify_chain
from nomination.models import HonourRecord, Nomination
from nomination.paths import use_definition_folders

from conftest import fresh_app
from factories import DECIDED_AT, NOW, recommendation
from test_api_support import Api

pytest_plugins = ["test_web_support"]

CRAFTSMAN = Path(__file__).parent / "data" / "craftsman"
DATA = {
    "name": "李秀英",
    "gender": "female",
    "birth_date": "1972-03-08",
    "id_number": "110105197203080026",
    "post": "北京精雕科技 数控车间主任",
    "craft": "数控车工 高级技师",
    "phone": "13910000001",
    "deeds": "三十年深耕精密加工,主持攻关航天零件微米级加工工艺。",
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An application whose deployment adds the craftsman's definitions (SQLite)."""
    instance = tmp_path_factory.mktemp("instance-craftsman")
    url = f"sqlite:///{instance / 'test.sqlite3'}"
    application = fresh_app(instance, url, DEFINITIONS_PATH=str(CRAFTSMAN))
    application.config["BACKEND"] = "sqlite"
    yield application
    db.session.remove()
    application.extensions["nomination.engine"].dispose()
    # The definition folders are the process's: the next module's application has its own.
    use_definition_folders([])


def test_the_definitions_offer_the_new_kind(app, session):
    assert engine.award_kinds() == ("individual", "unit", "team", "craftsman")
    assert engine.award_kinds("person") == ("individual", "craftsman")
    assert available_awards()["craftsman"]["zh"] == "北京大工匠推荐"
    wf = engine.current_definitions()["craftsman"]
    # The medal's path, states and meanings, with the craftsman's own form.
    assert wf.states_tagged("notice") == {"public_notice"}
    assert [f.name for f in wf.nominee_form.fields][-2:] == ["phone", "deeds"]


def test_a_craftsman_runs_the_whole_path(clock, app, session, tree, client, new_web_client):
    campaign = create_campaign(
        session,
        actor=SYSTEM,
        year=2026,
        name="2026年北京大工匠",
        federation=tree.federation,
        nomination_deadline=date(2026, 12, 31),
        awards={"craftsman": ("北京大工匠", "Beijing Craftsman")},
        notice_working_days=5,
        objection_contact={"body": "朝阳区总工会劳模办", "phone": "010-65099999"},
    )
    set_quota(
        session,
        actor=SYSTEM,
        campaign=campaign,
        committee=tree.committee1,
        kind="craftsman",
        places=1,
    )
    api = Api(client, session, tree)
    created = api.post(
        "/nominations",
        "unit1",
        json={"campaign_id": campaign.id, "award_kind": "craftsman", "data": DATA},
    )
    assert created.status_code == 201, created.json
    # The kind's own required file is named in its checklist until it is uploaded.
    [recommend] = [t for t in created.json["transitions"] if t["trigger"] == "recommend"]
    [files] = [c for c in recommend["checks"] if c["guard"] == "required_files_attached"]
    assert [c["key"] for c in files["conditions"]] == [
        "congress_minutes",
        "unit_notice",
        "deeds",
        "skill_certificate",
    ]
    n = created.json
    for condition in files["conditions"]:
        n = api.upload(n, "unit1", condition["key"])
    n = api.fire(n, "unit1", "recommend", **recommendation())
    n = api.fire(n, "committee1", "forward", comment="同意推荐")
    n = api.fire(n, "federation", "accept", comment="符合条件")
    n = api.fire(n, "federation", "consultation_clear", comment="各部门无异议")
    n = api.fire(n, "federation", "select", comment="评审通过")
    assert n["state"]["name"] == "public_notice"

    # On the public board under its own title, with the craft the form marks public.
    board = new_web_client().get(f"/notices/{campaign.id}/craftsman/print")
    assert board.status_code == 200
    assert "北京大工匠" in board.text and "数控车工 高级技师" in board.text

    # The notice closes on its timer, as for every kind.
    assert engine.workflow_for(session.get(Nomination, n["id"])).holder == "person"
    engine.apply_due_timers(session, NOW + timedelta(days=30))
    session.commit()
    n = api.get(f"/nominations/{n['id']}", "approver").json
    assert n["state"]["name"] == "final_approval"
    clock(DECIDED_AT)  # the decision follows the notice
    n = api.fire(
        n, "approver", "approve", decision_number="京工发〔2026〕31号", decision_date="2026-11-27"
    )
    assert n["state"]["name"] == "approved"

    record = session.scalar(select(HonourRecord).where(HonourRecord.nomination_id == n["id"]))
    assert (record.kind, record.title, record.honour_type) == (
        "craftsman",
        "北京大工匠",
        "model_worker",
    )
    assert record.person is not None and record.person.name == "李秀英"
    assert verify_chain(session).ok
