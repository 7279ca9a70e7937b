"""One masking policy: ID numbers and phones by role, on every page, API, export and PDF.

Who sees a nomination's ID number and phone in clear: its unit, the working committee and
the federation's reviewers over it, administrators. Approvers, judges, auditors: masked. The
public: never. A public summary is never masked.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook
from test_print_form import pdf_text

from nomination.actors import PUBLIC
from nomination.definitions.forms import DefinitionError, parse_form
from nomination.engine import fire
from nomination.nominations.operations import update_nomination
from nomination.permissions import can_see_personal_data
from nomination.permissions.privacy import mask, masked_data

from factories import person_data, recommendation
from test_web_support import login

pytest_plugins = ["test_web_support"]
pytestmark = pytest.mark.usefixtures("web")

ID_NUMBER = "110105194912310038"
ID_MASKED = "110***********0038"
PHONE_LOCAL = "13910000000"
NEW_PHONE_LOCAL = "13912345678"
SUMMARY = "扎根供热一线三十年,带领班组攻克管网节能难题。"

#: Who sees unit1's nomination's sensitive values in clear.
CLEAR = {
    "unit1": True,
    "committee1": True,
    "federation": True,
    "admin": True,
    "unit2": False,
    "committee2": False,
    "approver": False,
    "auditor": False,
    "judge1": False,
    "dept-hr": False,
}
#: Of those, who may open the nomination page (and API) at all in its current state.
READERS = ("unit1", "committee1", "federation", "admin", "approver", "auditor")


@pytest.fixture
def nominated(session, create_nomination_for, web):
    """Unit1's nomination, its phone changed once, then recommended."""
    n = create_nomination_for("unit1", data=person_data())
    update_nomination(
        n, actor=web.users["unit1"], data=person_data(phone=NEW_PHONE_LOCAL), version=1
    )
    fire(n, "recommend", web.users["unit1"], data=recommendation())
    session.commit()
    return n


def assert_clear(text: str) -> None:
    assert ID_NUMBER in text
    assert NEW_PHONE_LOCAL[-8:] in text
    assert SUMMARY in text


def assert_masked(text: str) -> None:
    assert ID_NUMBER not in text and ID_NUMBER[3:14] not in text
    for phone in (PHONE_LOCAL, NEW_PHONE_LOCAL):
        assert phone[-8:] not in text  # neither the old nor the new number's middle digits
    assert SUMMARY in text  # the public summary is never masked


# --- the policy ------------------------------------------------------------------------------


@pytest.mark.parametrize(("user", "clear"), sorted(CLEAR.items()))
def test_who_sees_the_personal_data_in_clear(web, nominated, user, clear):
    assert can_see_personal_data(web.users[user], nominated) is clear


def test_the_public_never_does(nominated):
    assert can_see_personal_data(PUBLIC, nominated) is False
    assert can_see_personal_data(None, nominated) is False


def test_masks():
    assert mask("id_number", ID_NUMBER) == ID_MASKED
    assert mask("phone", "+8613912345678") == "139****5678"
    assert mask("phone", "") == ""
    assert mask("phone", None) is None


def test_fields_are_sensitive_by_their_type_or_by_declaration():
    form = parse_form(
        {
            "name": "f",
            "fields": [
                {"name": "id", "type": "id_number", "label": {"zh": "证", "en": "ID"}},
                {"name": "tel", "type": "phone", "label": {"zh": "电话", "en": "Phone"}},
                {
                    "name": "office",
                    "type": "text",
                    "sensitive": "phone",
                    "label": {"zh": "办公电话", "en": "Office phone"},
                },
                {"name": "summary", "type": "textarea", "label": {"zh": "摘要", "en": "Summary"}},
            ],
        },
        "test",
    )
    assert {f.name: f.sensitive for f in form.fields} == {
        "id": "id_number",
        "tel": "phone",
        "office": "phone",
        "summary": None,
    }
    data = {"id": ID_NUMBER, "tel": "13912345678", "office": "01065001234", "summary": "x"}
    assert masked_data(form, data, clear=False) == {
        "id": ID_MASKED,
        "tel": "139****5678",
        "office": "010-****1234",
        "summary": "x",
    }
    assert masked_data(form, data, clear=True) == data
    with pytest.raises(DefinitionError, match="sensitive must be one of"):
        parse_form(
            {
                "name": "g",
                "fields": [
                    {
                        "name": "x",
                        "type": "text",
                        "sensitive": "address",
                        "label": {"zh": "x", "en": "x"},
                    }
                ],
            },
            "test",
        )


# --- pages -----------------------------------------------------------------------------------


@pytest.mark.parametrize("user", READERS)
def test_the_nomination_page_and_its_history(new_web_client, nominated, user):
    client = new_web_client()
    login(client, user)
    page = client.get(f"/nominations/{nominated.id}")
    assert page.status_code == 200
    # The form's rows and the history (the phone's change) alike.
    (assert_clear if CLEAR[user] else assert_masked)(page.text)
    if not CLEAR[user]:
        assert ID_MASKED in page.text
        assert "139****5678" in page.text


@pytest.mark.parametrize("user", ["auditor", "admin"])
def test_the_audit_timeline_and_log(new_web_client, nominated, user):
    client = new_web_client()
    login(client, user)
    timeline = client.get(f"/audit/nominations/{nominated.id}")
    log = client.get(f"/audit/?nomination={nominated.id}")
    for page in (timeline, log):
        assert page.status_code == 200
        (assert_clear if CLEAR[user] else assert_masked)(page.text)
    # The data each decision saw is masked as well (the timeline's "version seen").
    assert "data-seen-version" in timeline.text


# --- the API ---------------------------------------------------------------------------------


@pytest.mark.parametrize("user", READERS)
def test_the_api_nomination_and_its_history(new_web_client, nominated, user):
    client = new_web_client()
    login(client, user)
    detail = client.get(f"/api/v1/nominations/{nominated.id}")
    assert detail.status_code == 200
    assert detail.json["masked"] is not CLEAR[user]
    history = client.get(f"/api/v1/nominations/{nominated.id}/history")
    for text in (json.dumps(r.json, ensure_ascii=False) for r in (detail, history)):
        (assert_clear if CLEAR[user] else assert_masked)(text)
    if not CLEAR[user]:
        assert detail.json["data"]["id_number"] == ID_MASKED
        assert detail.json["data"]["summary"] == SUMMARY


# --- exports ---------------------------------------------------------------------------------


def audit_export(client, user, fmt, **extra):
    login(client, user)
    response = client.post("/audit/export", data={"format": fmt, **extra})
    assert response.status_code == 200
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    else:
        sheet = load_workbook(io.BytesIO(response.data)).active
        rows = [[c.value or "" for c in row] for row in sheet.iter_rows()]
    return "\n".join("\t".join(str(c) for c in row) for row in rows)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_audit_export_masks_what_the_pages_mask_and_nothing_else(
    new_web_client, nominated, fmt
):
    assert_masked(audit_export(new_web_client(), "auditor", fmt))
    # Without the box an administrator's file is masked too; with it, in clear.
    assert_masked(audit_export(new_web_client(), "admin", fmt))
    assert_clear(audit_export(new_web_client(), "admin", fmt, personal="y"))


def test_the_audit_export_keeps_other_personal_values_out(new_web_client, nominated):
    text = audit_export(new_web_client(), "auditor", "csv")
    # A login's network address is personal data outside the forms: masked in the file.
    assert "127.0.0.1" not in text


# --- the printed form ------------------------------------------------------------------------


@pytest.mark.parametrize("user", ["unit1", "auditor"])
def test_the_printed_form(new_web_client, nominated, user):
    client = new_web_client()
    login(client, user)
    response = client.get(f"/nominations/{nominated.id}/form.pdf")
    assert response.status_code == 200
    text = pdf_text(response.data)
    if CLEAR[user]:
        assert ID_NUMBER in text
    else:
        assert ID_NUMBER not in text and ID_MASKED in text
        assert NEW_PHONE_LOCAL[-8:] not in text


def test_an_archive_records_events_are_masked_by_field_name():
    """An archive person's created and changed events hold no form: their names decide."""
    from nomination.audit.chain import EventView
    from nomination.audit.reading import shown_view
    from nomination.models import AuditEvent

    event = AuditEvent(action="archive.person_create", entity_type="archive_person")
    created = EventView(
        None,
        {"fields": {"name": "张三", "phone": "+8613912345678", "id_number": ID_NUMBER}},
        0,
    )
    shown = shown_view(event, created, None, clear=False)
    assert shown.after == {
        "fields": {"name": "张三", "phone": "139****5678", "id_number": ID_MASKED}
    }
    changed = EventView({"phone": "+8613912345678"}, {"phone": "+8613987654321", "version": 2}, 0)
    shown = shown_view(event, changed, None, clear=False)
    assert shown.before == {"phone": "139****5678"}
    assert shown.after == {"phone": "139****4321", "version": 2}
    assert shown_view(event, changed, None, clear=True) == changed
