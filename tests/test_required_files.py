"""The files a nomination must carry (DOMAIN.md §7), and changing them while it is editable.

The workers'-congress minutes, the unit's stamped notice with its result and the deeds are
required by the definitions (``[[files]]`` with ``required_for``), listed in the checklist each
met or missing, and checked by a guard; the unit may remove or replace its files until it
submits, and not after.
"""

from __future__ import annotations

import io
import json
import re

import pytest
from sqlalchemy import select
from test_definitions import write

from nomination.canonical import canonical_json
from nomination.definitions.forms import DefinitionError
from nomination.engine import available, fire
from nomination.engine.definitions import from_content, load_all
from nomination.errors import GuardBlocked
from nomination.models import Attachment, AuditEvent, Nomination
from nomination.nominations.operations import attach_file, remove_attachment
from nomination.uploads import open_stored, store

from factories import NOW, pdf, recommendation
from test_api_support import Api
from test_web_support import as_form, login

pytest_plugins = ["test_web_support"]

EVIDENCE = ("congress_minutes", "unit_notice", "deeds")


@pytest.fixture
def api(client, session, tree) -> Api:
    return Api(client, session, tree)


def attach(nomination, actor, purpose, text="材料"):
    """Attach a small PDF for ``purpose``, as the unit's submitter."""
    return attach_file(
        nomination, actor=actor, stored=store(pdf(text), f"{purpose}.pdf"), purpose=purpose
    )


def events(session, nomination_id, action):
    return session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == action, AuditEvent.entity_id == str(nomination_id))
        .order_by(AuditEvent.seq)
    ).all()


# --- the definitions ----------------------------------------------------------------------------


def test_each_award_kind_defines_its_required_files_per_transition():
    shipped = load_all()
    medal = shipped["individual"]
    assert medal.transition("draft", "recommend").required_files == EVIDENCE
    assert medal.transition("returned", "resubmit").required_files == EVIDENCE
    assert medal.transition("draft", "withdraw").required_files == ()
    assert medal.files["congress_minutes"].label["zh"] == "职代会(联席会)会议纪要"
    assert medal.files["unit_notice"].label["en"] == "The unit's stamped notice with its result"
    # A collective's recommendation also needs its photo; a person's does not.
    for kind in ("unit", "team"):
        assert shipped[kind].transition("draft", "recommend").required_files == (
            *EVIDENCE,
            "photo",
        )
    assert (
        "photo" in medal.files
        and "photo" not in medal.transition("draft", "recommend").required_files
    )


def test_a_version_pinned_before_files_were_defined_requires_none():
    medal = load_all()["individual"]
    doc = json.loads(medal.content)
    del doc["files"]
    pinned = from_content(canonical_json(doc), "pinned", today=medal)
    # Its unit attaches today's kinds of file; its nominations keep the rules they started under.
    assert list(pinned.files) == list(medal.files)
    assert all(not f.required_for for f in pinned.files.values())
    assert pinned.transition("draft", "recommend").required_files == ()


FILES = """
[[files]]
purpose = "{purpose}"
label = {{ zh = "纪要", en = "Minutes" }}
{extra}
"""


@pytest.mark.parametrize(
    ("purpose", "extra", "guards", "problem"),
    [
        ("minutes", "", "", None),
        ("minutes", 'required_for = ["finish"]', '"required_files_attached"', None),
        ("minutes", 'colour = "red"', "", "unknown key 'colour'"),
        ("minutes", 'required_for = ["fly"]', "", "required_for: no transition 'fly'"),
        ("minutes", 'required_for = ["finish"]', "", "none of its guards checks files"),
        ("x" * 33, "", "", "at most 32 characters"),
    ],
)
def test_the_loader_checks_the_files(tmp_path, purpose, extra, guards, problem):
    folder = write(tmp_path, guards=guards)
    path = folder / "mini.toml"
    files = FILES.format(purpose=purpose, extra=extra)
    text = path.read_text(encoding="utf-8").replace(
        'initial = "draft"\n', 'initial = "draft"\n' + files, 1
    )
    path.write_text(text, encoding="utf-8")
    if problem is None:
        mini = load_all(folder)["mini"]
        assert list(mini.files) == ["minutes"]
        assert mini.transition("draft", "finish").required_files == (("minutes",) if extra else ())
        return
    with pytest.raises(DefinitionError, match=re.escape(problem)):
        load_all(folder)


# --- the guard and the checklist ----------------------------------------------------------------


def test_recommending_without_the_required_files_is_refused_naming_each(
    session, tree, create_nomination_for
):
    unit1 = tree.users["unit1"]
    n = create_nomination_for(files=False)
    attach(n, unit1, "deeds")
    with pytest.raises(GuardBlocked) as refused:
        fire(n, "recommend", unit1, data=recommendation(), now=NOW)
    message = refused.value.message
    assert "职代会(联席会)会议纪要" in message and "单位公示材料及公示结果(盖章)" in message
    assert "事迹材料" not in message
    [check] = [c for c in refused.value.extra["checks"] if c["guard"] == "required_files_attached"]
    assert check["passed"] is False
    assert {c["key"]: c["met"] for c in check["conditions"]} == {
        "congress_minutes": False,
        "unit_notice": False,
        "deeds": True,
    }
    # The other guards passed, and the refusal says so: only the files are missing.
    assert [c["guard"] for c in refused.value.extra["checks"] if c["passed"] is False] == [
        "required_files_attached"
    ]
    assert n.state == "draft"
    attach(n, unit1, "congress_minutes")
    attach(n, unit1, "unit_notice")
    fire(n, "recommend", unit1, data=recommendation(), now=NOW)
    assert n.state == "committee_review"


def test_the_checklist_lists_each_required_file_met_or_missing(
    session, tree, create_nomination_for
):
    unit1 = tree.users["unit1"]
    n = create_nomination_for(files=False)
    attach(n, unit1, "congress_minutes")
    [option] = [o for o in available(n, unit1, now=NOW) if o.transition.trigger == "recommend"]
    [check] = [c for c in option.checks if c.guard == "required_files_attached"]
    assert check.passed is False
    assert [(m.key, m.met) for m in check.conditions] == [
        ("congress_minutes", True),
        ("unit_notice", False),
        ("deeds", False),
    ]
    assert not option.allowed


def test_a_resubmission_needs_the_files_too(session, tree, create_nomination_for):
    unit1 = tree.users["unit1"]
    n = create_nomination_for()
    fire(n, "recommend", unit1, data=recommendation(), now=NOW)
    fire(n, "return_to_unit", tree.users["committee1"], data={"reason": "请补充材料"}, now=NOW)
    [minutes] = [a for a in n.attachments if a.purpose == "congress_minutes"]
    remove_attachment(minutes, actor=unit1)
    with pytest.raises(GuardBlocked, match="职代会"):
        fire(n, "resubmit", unit1, data={"comment": "已修改"}, now=NOW)


# --- the pages ----------------------------------------------------------------------------------


def test_the_page_marks_which_file_and_which_condition_failed(
    web, web_client, session, create_nomination_for
):
    n = create_nomination_for(files=False)
    attach(n, web.users["unit1"], "deeds")
    session.commit()
    login(web_client, "unit1")
    page = web_client.get(f"/nominations/{n.id}").text
    assert 'data-condition="deeds" data-met="true"' in page
    assert 'data-condition="congress_minutes" data-met="false"' in page
    assert 'data-condition="unit_notice" data-met="false"' in page
    assert 'data-required="unit_notice" data-met="false"' in page  # beside the files, too
    # A form's condition that fails on submitting is marked in the checklist, by name.
    for purpose in ("congress_minutes", "unit_notice"):
        attach(n, web.users["unit1"], purpose)
    session.commit()
    data = as_form(recommendation(votes_for=50))
    data["version"] = str(n.version)
    refused = web_client.post(f"/nominations/{n.id}/transitions/recommend", data=data)
    assert refused.status_code == 422
    assert 'data-check="congress_vote_passed" data-passed="false"' in refused.text
    assert 'data-check="unit_notice_complete" data-passed="true"' in refused.text
    assert 'data-check="required_files_attached" data-passed="true"' in refused.text


def test_the_unit_removes_and_replaces_its_files_until_it_submits(
    web, web_client, new_web_client, session, create_nomination_for, app
):
    n = create_nomination_for()
    session.commit()
    login(web_client, "unit1")
    [deeds] = [a for a in n.attachments if a.purpose == "deeds"]
    old_sha = deeds.sha256
    page = web_client.get(f"/nominations/{n.id}").text
    assert f'data-remove="{deeds.id}"' in page and f'data-replace="{deeds.id}"' in page
    replaced = web_client.post(
        f"/nominations/{n.id}/attachments/{deeds.id}/replace",
        data={"file": (io.BytesIO(pdf("新的事迹材料")), "事迹材料(修改).pdf")},
        content_type="multipart/form-data",
    )
    assert replaced.status_code == 302
    session.expire_all()
    deeds = session.get(Attachment, deeds.id)
    assert deeds.filename == "事迹材料(修改).pdf" and deeds.sha256 != old_sha
    [event] = events(session, n.id, "attachment.replace")
    assert event.before["sha256"] == old_sha and event.after["sha256"] == deeds.sha256
    assert "事迹材料" not in event.payload  # the name may carry personal data; the hash proves
    # A refused replacement leaves the file in place and says why.
    bad = web_client.post(
        f"/nominations/{n.id}/attachments/{deeds.id}/replace",
        data={"file": (io.BytesIO(b"MZ not a document"), "x.exe")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "只接受 PDF" in bad.text
    session.expire_all()
    assert session.get(Attachment, deeds.id).sha256 == event.after["sha256"]
    # Removed: gone from the nomination, audited with its hash, kept in the store.
    [photo_less] = [a for a in n.attachments if a.purpose == "unit_notice"]
    notice_sha = photo_less.sha256
    removed = web_client.post(f"/nominations/{n.id}/attachments/{photo_less.id}/remove")
    assert removed.status_code == 302
    session.expire_all()
    assert session.get(Attachment, photo_less.id) is None
    [event] = events(session, n.id, "attachment.remove")
    assert event.before["sha256"] == notice_sha and event.after is None
    assert open_stored(notice_sha).is_file()
    # Another unit's submitter cannot touch it; a reviewer may read but not change it.
    [minutes] = [
        a for a in session.get(Nomination, n.id).attachments if a.purpose == "congress_minutes"
    ]
    other = new_web_client()
    login(other, "unit2")
    assert other.post(f"/nominations/{n.id}/attachments/{minutes.id}/remove").status_code == 404
    # Once recommended the files are frozen.
    attach(session.get(Nomination, n.id), web.users["unit1"], "unit_notice")
    n = session.get(Nomination, n.id)
    fire(n, "recommend", web.users["unit1"], data=recommendation())
    session.commit()
    page = web_client.get(f"/nominations/{n.id}").text
    assert "data-remove=" not in page and "data-replace=" not in page
    assert (
        web_client.post(f"/nominations/{n.id}/attachments/{minutes.id}/remove").status_code == 403
    )
    frozen = web_client.post(
        f"/nominations/{n.id}/attachments/{minutes.id}/replace",
        data={"file": (io.BytesIO(pdf("late")), "late.pdf")},
        content_type="multipart/form-data",
    )
    assert frozen.status_code == 403
    session.expire_all()
    assert session.get(Attachment, minutes.id).sha256 == minutes.sha256


def test_the_unit_uploads_its_files_on_the_page(web, web_client, session, create_nomination_for):
    n = create_nomination_for(files=False)
    session.commit()
    login(web_client, "unit1")
    page = web_client.get(f"/nominations/{n.id}").text
    assert '<option value="congress_minutes">职代会(联席会)会议纪要</option>' in page
    for purpose in EVIDENCE:
        sent = web_client.post(
            f"/nominations/{n.id}/attachments",
            data={"purpose": purpose, "file": (io.BytesIO(pdf(purpose)), f"{purpose}.pdf")},
            content_type="multipart/form-data",
        )
        assert sent.status_code == 302
    page = web_client.get(f"/nominations/{n.id}").text
    assert 'data-check="required_files_attached" data-passed="true"' in page
    assert 'form method="post" action="/nominations/' in page and 'data-trigger="recommend"' in page


def test_removing_needs_the_csrf_token(
    web, web_client, session, create_nomination_for, app, monkeypatch
):
    n = create_nomination_for()
    session.commit()
    login(web_client, "unit1")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    [deeds] = [a for a in n.attachments if a.purpose == "deeds"]
    forged = web_client.post(f"/nominations/{n.id}/attachments/{deeds.id}/remove")
    assert forged.status_code == 400
    session.expire_all()
    assert session.get(Attachment, deeds.id) is not None


# --- the API ------------------------------------------------------------------------------------


def test_the_api_refuses_recommend_naming_the_missing_files(api):
    n = api.create(files=False)
    response = api.post(
        f"/nominations/{n['id']}/transitions",
        "unit1",
        json={"trigger": "recommend", "version": n["version"], **recommendation()},
    )
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "guard_blocked"
    [check] = [c for c in error["checks"] if c["guard"] == "required_files_attached"]
    assert [(c["key"], c["met"]) for c in check["conditions"]] == [(p, False) for p in EVIDENCE]
    assert any("职代会(联席会)会议纪要" in r for r in error["reasons"])
    # The transition lists the same before firing; uploading through the API meets it.
    [recommend] = [t for t in n["transitions"] if t["trigger"] == "recommend"]
    [check] = [c for c in recommend["checks"] if c["guard"] == "required_files_attached"]
    assert check["passed"] is False
    for purpose in EVIDENCE:
        n = api.upload(n, "unit1", purpose)
    assert sorted(f["purpose"] for f in n["files"]) == sorted(EVIDENCE)
    assert all(f["changeable"] for f in n["files"])
    n = api.fire(n, "unit1", "recommend", **recommendation())
    assert n["state"]["name"] == "committee_review"
    assert not any(f["changeable"] for f in n["files"])


def test_the_api_removes_and_replaces_files_until_submitted(api, session):
    n = api.create()
    deeds = next(f for f in n["files"] if f["purpose"] == "deeds")
    path = f"/nominations/{n['id']}/attachments/{deeds['id']}"
    unknown = api.post(
        f"/nominations/{n['id']}/attachments",
        "unit1",
        data={"purpose": "selfie", "file": (io.BytesIO(pdf()), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert unknown.status_code == 422 and "purpose" in unknown.json["error"]["fields"]
    bad = api.call(
        "PUT",
        path,
        "unit1",
        data={"file": (io.BytesIO(b"not a document"), "a.txt")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and "file" in bad.json["error"]["fields"]
    replaced = api.call(
        "PUT",
        path,
        "unit1",
        data={"file": (io.BytesIO(pdf("修改后")), "新事迹.pdf")},
        content_type="multipart/form-data",
    )
    assert replaced.status_code == 200
    now = next(f for f in replaced.json["files"] if f["id"] == deeds["id"])
    assert now["filename"] == "新事迹.pdf" and now["sha256"] != deeds["sha256"]
    assert api.call("DELETE", path, "unit2").status_code == 404  # not theirs to see
    assert api.call("DELETE", path, "committee1").status_code == 403  # to read, not to change
    removed = api.call("DELETE", path, "unit1")
    assert removed.status_code == 200
    assert "deeds" not in {f["purpose"] for f in removed.json["files"]}
    assert api.call("DELETE", path, "unit1").status_code == 404
    assert [e.action for e in events(session, n["id"], "attachment.remove")] == [
        "attachment.remove"
    ]
    # Attached again, recommended: every file is frozen.
    n = api.upload(removed.json, "unit1", "deeds")
    n = api.fire(n, "unit1", "recommend", **recommendation())
    minutes = next(f for f in n["files"] if f["purpose"] == "congress_minutes")
    frozen = api.call("DELETE", f"/nominations/{n['id']}/attachments/{minutes['id']}", "unit1")
    assert frozen.status_code == 403
    assert "fixed" in frozen.json["error"]["message"]
