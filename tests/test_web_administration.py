"""The administration pages: who reaches them, and what an administrator does there.

Also the login steps an administrator's actions lead to: a temporary password that must be
changed, a one-time password link, and the TOTP second factor.
"""

from __future__ import annotations

import re

import pyotp
import pytest
from sqlalchemy import func, select

from nomination.models import InstanceSettings, Organisation, User

from factories import NOW, PASSWORD
from test_web_support import login

pytest_plugins = ["test_web_support"]

#: Every administration page an administrator opens (GET), with {unit} and {user} filled in.
ADMIN_PAGES = (
    "/admin/",
    "/admin/organisations/",
    "/admin/organisations/new",
    "/admin/organisations/{unit}",
    "/admin/users/",
    "/admin/users/new",
    "/admin/users/{user}",
    "/admin/security",
    "/admin/calendar/",
    "/admin/import/",
    "/admin/import/template.xlsx",
    "/admin/import/export.xlsx",
    "/admin/campaigns/",
    "/admin/campaigns/new",
    "/admin/campaigns/{campaign}",
    "/admin/campaigns/{campaign}/quotas",
    "/admin/campaigns/{campaign}/quotas.xlsx",
    "/admin/campaigns/{campaign}/judges",
    "/admin/campaigns/{campaign}/bars",
)
#: Every state-changing administration route (POST).
ADMIN_ACTIONS = (
    "/admin/organisations/new",
    "/admin/organisations/{unit}",
    "/admin/organisations/{unit}/move",
    "/admin/organisations/{unit}/active",
    "/admin/users/new",
    "/admin/users/{user}",
    "/admin/users/{user}/password",
    "/admin/users/{user}/active",
    "/admin/users/{user}/second-factor",
    "/admin/security",
    "/admin/import/",
    "/admin/campaigns/new",
    "/admin/campaigns/{campaign}",
    "/admin/campaigns/{campaign}/copy",
    "/admin/campaigns/{campaign}/status",
    "/admin/campaigns/{campaign}/quotas",
    "/admin/campaigns/{campaign}/quotas/sheet",
    "/admin/campaigns/{campaign}/judges",
    "/admin/campaigns/{campaign}/bars",
)
NOT_ADMINS = (
    "unit1",
    "committee1",
    "federation",
    "approver",
    "auditor",
    "judge1",
    "dept-hr",
)


def _fill(path: str, web) -> str:
    return path.format(unit=web.unit1.id, user=web.users["unit2"].id, campaign=web.campaign.id)


@pytest.mark.parametrize("username", NOT_ADMINS)
def test_no_role_but_administrator_reaches_the_administration(web, web_client, username):
    login(web_client, username)
    for path in ADMIN_PAGES:
        assert web_client.get(_fill(path, web)).status_code == 403, path
    for path in ADMIN_ACTIONS:
        assert web_client.post(_fill(path, web), data={}).status_code in (403, 404), path


def test_the_anonymous_are_sent_to_log_in(web, web_client):
    for path in ADMIN_PAGES:
        response = web_client.get(_fill(path, web))
        assert response.status_code == 302 and "/login" in response.location, path


def test_an_administrator_reaches_every_page(web, web_client):
    login(web_client, "admin")
    for path in ADMIN_PAGES:
        assert web_client.get(_fill(path, web)).status_code == 200, path
    page = web_client.get("/admin/").get_data(as_text=True)
    assert 'id="count-unit">3<' in page


def test_an_organisation_of_another_federation_is_not_found(web, web_client, create_org):
    other = create_org("F2", "federation", name="另一总工会")
    unit = create_org("F2-U", "unit", other)
    from nomination import db

    db.session.commit()
    login(web_client, "admin")
    assert web_client.get(f"/admin/organisations/{unit.id}").status_code == 404


def test_adding_a_unit_keeps_what_was_typed_when_a_field_is_wrong(web, web_client, session):
    login(web_client, "admin")
    form = {
        "kind": "unit",
        "parent": str(web.committee1.id),
        "code": "U-NEW",
        "name": "新建单位",
        "uscc": "911100006000373410",
        "contact_person": "王联络",
        "contact_phone": "13910000001",
    }
    response = web_client.post("/admin/organisations/new", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "统一社会信用代码无效" in page and 'value="王联络"' in page and 'value="U-NEW"' in page
    form["uscc"] = "91110000600037341L"
    response = web_client.post("/admin/organisations/new", data=form)
    assert response.status_code == 302
    unit = session.scalar(select(Organisation).where(Organisation.code == "U-NEW"))
    assert unit.parent_id == web.committee1.id and unit.contact_phone == "+8613910000001"


def test_moving_a_unit_through_the_page(web, web_client, session):
    login(web_client, "admin")
    page = web_client.get(f"/admin/organisations/{web.unit1.id}").get_data(as_text=True)
    expected = re.search(r'id="move-form".*?name="expected"[^>]*value="([0-9a-f]+)"', page, re.S)
    response = web_client.post(
        f"/admin/organisations/{web.unit1.id}/move",
        data={"parent": str(web.committee2.id), "reason": "", "expected": expected.group(1)},
    )
    assert response.status_code == 422 and "请说明调整原因" in response.get_data(as_text=True)
    response = web_client.post(
        f"/admin/organisations/{web.unit1.id}/move",
        data={"parent": str(web.committee2.id), "reason": "调整", "expected": expected.group(1)},
    )
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Organisation, web.unit1.id).parent_id == web.committee2.id


def _new_user(web_client, web, **extra):
    data = {
        "username": "wang.wu",
        "display_name": "王五",
        "email": "",
        "workplace": "",
        "roles-0-role": "unit_submitter",
        "roles-0-organisation": str(web.unit1.id),
        "roles-1-role": "",
        "roles-1-organisation": "",
        **extra,
    }
    return web_client.post("/admin/users/new", data=data)


def test_separation_of_duties_is_said_beside_the_roles(web, web_client):
    login(web_client, "admin")
    response = _new_user(
        web_client,
        web,
        **{
            "roles-0-role": "admin",
            "roles-0-organisation": str(web.federation.id),
            "roles-1-role": "auditor",
            "roles-1-organisation": str(web.federation.id),
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="roles-errors"' in page and "职责分离" in page and 'value="wang.wu"' in page


def test_a_new_user_logs_in_with_the_temporary_password_and_must_change_it(
    web, web_client, new_web_client
):
    login(web_client, "admin")
    response = _new_user(web_client, web)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    temporary = re.search(r'id="temporary-password">([^<]+)<', page).group(1)
    browser = new_web_client()
    response = login(browser, "wang.wu", temporary)
    assert response.status_code == 302
    response = browser.get("/")
    assert response.status_code == 302 and "/password" in response.location
    # The page of that step offers no work yet.
    assert 'id="nav-dashboard"' not in browser.get("/password").get_data(as_text=True)
    # The API with the session cookie is held at the same step.
    assert browser.get("/api/v1/me").status_code == 403
    response = browser.post(
        "/password",
        data={
            "current": temporary,
            "new": "wang wu's own password",
            "confirm": "wang wu's own password",
        },
    )
    assert response.status_code == 302
    assert browser.get("/").status_code in (200, 302)
    assert browser.get("/api/v1/me").status_code == 200
    assert 'id="nav-dashboard"' in browser.get("/password").get_data(as_text=True)


def test_a_one_time_link_sets_a_password_once(web, web_client, new_web_client):
    login(web_client, "admin")
    page = web_client.post(
        f"/admin/users/{web.users['unit2'].id}/password", data={"how": "link"}
    ).get_data(as_text=True)
    link = re.search(r'id="password-link"[^>]*>([^<]+)<', page).group(1)
    path = link.split("://", 1)[1].split("/", 1)[1]
    browser = new_web_client()
    assert browser.get("/" + path).status_code == 200
    response = browser.post(
        "/" + path, data={"new": "linked new password", "confirm": "linked new password"}
    )
    assert response.status_code == 302
    assert browser.get("/" + path).status_code == 410
    assert login(browser, "unit2", "linked new password").status_code == 302
    assert login(new_web_client(), "unit2", PASSWORD).status_code == 200  # refused, form again


def test_deactivating_a_user_ends_the_session(web, web_client, new_web_client, session):
    victim = new_web_client()
    login(victim, "unit1")
    assert victim.get("/api/v1/me").status_code == 200
    login(web_client, "admin")
    page = web_client.get(f"/admin/users/{web.users['unit1'].id}").get_data(as_text=True)
    expected = re.search(r'id="active-form".*?name="expected"[^>]*value="([0-9a-f]+)"', page, re.S)
    response = web_client.post(
        f"/admin/users/{web.users['unit1'].id}/active",
        data={"reason": "离职", "expected": expected.group(1)},
    )
    assert response.status_code == 302
    assert victim.get("/api/v1/me").status_code == 401


def test_totp_required_for_a_role_enrols_then_asks_for_the_code(
    web, web_client, new_web_client, session
):
    session.add(
        InstanceSettings(
            id=1,
            federation_id=web.federation.id,
            timezone="Asia/Shanghai",
            closing_hour=17,
            set_up_at=web.campaign.created_at,
        )
    )
    session.commit()
    login(web_client, "admin")
    response = web_client.post("/admin/security", data={"roles": ["federation_reviewer"]})
    assert response.status_code == 302
    browser = new_web_client()
    login(browser, "federation")
    response = browser.get("/")
    assert response.status_code == 302 and "/account/second-factor" in response.location
    page = browser.get("/account/second-factor").get_data(as_text=True)
    assert "<svg" in page
    secret = re.search(r'id="totp-secret"[^>]*>([A-Z2-7]+)<', page).group(1)
    response = browser.post("/account/second-factor", data={"code": "000000"})
    assert "验证码不正确" in response.get_data(as_text=True)
    # The application runs on the tests' fixed clock.
    code = pyotp.TOTP(secret).at(int(NOW.timestamp()))
    page = browser.post("/account/second-factor", data={"code": code}).get_data(as_text=True)
    recovery = re.findall(r"<li>([0-9a-f]{6}-[0-9a-f]{6})</li>", page)
    assert len(recovery) == 10
    assert browser.get("/api/v1/me").status_code == 200
    # The next login asks for a code; a recovery code works once.
    again = new_web_client()
    login(again, "federation")
    assert "/login/code" in again.get("/").location
    assert again.get("/api/v1/me").status_code == 403
    response = again.post("/login/code", data={"code": recovery[0]})
    assert response.status_code == 302
    assert again.get("/api/v1/me").status_code == 200
    third = new_web_client()
    login(third, "federation")
    response = third.post("/login/code", data={"code": recovery[0]})
    assert response.status_code == 200 and third.get("/api/v1/me").status_code == 403
    user = session.scalar(select(User).where(User.username == "federation"))
    assert user.totp_confirmed_at is not None


# --- units and users from a sheet ---------------------------------------------------------


def _sheet(rows):
    import io

    import openpyxl

    from nomination.administration.sheets import COLUMNS

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([zh for _, zh, _ in COLUMNS])
    ws.append([key for key, _, _ in COLUMNS])
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _unit_rows(count, committee="C1"):
    return [
        [
            committee,
            f"S-{i:03d}",
            f"导入单位{i}",
            "",
            "",
            "联系人",
            "",
            f"s{i:03d}",
            f"填报员{i}",
            "",
        ]
        for i in range(1, count + 1)
    ]


def test_thirty_units_and_their_users_import_after_a_clean_dry_run(
    web, web_client, new_web_client, session
):
    import io

    login(web_client, "admin")
    template = web_client.get("/admin/import/template.xlsx")
    assert template.status_code == 200 and template.data.startswith(b"PK")
    rows = _unit_rows(30)
    rows[4][0] = "NOPE"  # no such committee
    rows[7][6] = "12"  # not a phone number
    response = web_client.post(
        "/admin/import/",
        data={"action": "check", "sheet": (io.BytesIO(_sheet(rows)), "units.xlsx")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="import-errors"' in page
    assert "没有代码为「NOPE」的工委" in page and "电话号码无效" in page
    assert (
        session.scalar(select(func.count(Organisation.id)).where(Organisation.code.like("S-%")))
        == 0
    )
    rows = _unit_rows(30)
    response = web_client.post(
        "/admin/import/",
        data={"action": "check", "sheet": (io.BytesIO(_sheet(rows)), "units.xlsx")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert (
        session.scalar(select(func.count(Organisation.id)).where(Organisation.code.like("S-%")))
        == 0
    ), "the dry run creates nothing"
    sha256 = re.search(r'name="sheet_sha256" value="([0-9a-f]{64})"', page).group(1)
    response = web_client.post("/admin/import/", data={"action": "import", "sheet_sha256": sha256})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="import-done"' in page
    assert (
        session.scalar(select(func.count(Organisation.id)).where(Organisation.code.like("S-%")))
        == 30
    )
    password = re.search(r'data-username="s017">([^<]+)<', page).group(1)
    browser = new_web_client()
    assert login(browser, "s017", password).status_code == 302
    assert "/password" in browser.get("/").location
    exported = web_client.get("/admin/import/export.xlsx")
    assert exported.status_code == 200 and exported.data.startswith(b"PK")


def test_a_file_that_is_no_workbook_is_refused_beside_the_field(web, web_client):
    import io

    login(web_client, "admin")
    response = web_client.post(
        "/admin/import/",
        data={"action": "check", "sheet": (io.BytesIO(b"code,name\nU,x\n"), "units.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert 'data-field="sheet"' in response.get_data(as_text=True)


# --- campaigns -----------------------------------------------------------------------------


def test_next_years_campaign_is_copied_given_quotas_and_opened(web, web_client, session):
    from nomination.models import Campaign

    login(web_client, "admin")
    response = web_client.post(
        f"/admin/campaigns/{web.campaign.id}/copy",
        data={"year": "2027", "name": "2027年评选", "name_en": "", "nomination_deadline": ""},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'value="2027年评选"' in page and "须为日期" in page
    response = web_client.post(
        f"/admin/campaigns/{web.campaign.id}/copy",
        data={"year": "2027", "name": "2027年评选", "nomination_deadline": "2027-12-31"},
    )
    assert response.status_code == 302
    draft = session.scalar(select(Campaign).where(Campaign.name == "2027年评选"))
    assert draft.status == "draft" and len(draft.awards) == 3
    page = web_client.get(f"/admin/campaigns/{draft.id}").get_data(as_text=True)
    assert 'id="campaign-open"' in page
    # Quotas: a wrong cell is named and nothing is saved; then they are saved.
    key = f"q-{web.committee2.id}-individual"
    response = web_client.post(
        f"/admin/campaigns/{draft.id}/quotas", data={key: "-3", f"q-{web.committee1.id}-unit": "4"}
    )
    assert response.status_code == 422 and f'id="{key}-errors"' in response.get_data(as_text=True)
    session.expire_all()
    assert not [q for q in draft.quotas if q.kind == "unit"]
    response = web_client.post(
        f"/admin/campaigns/{draft.id}/quotas", data={key: "3", f"q-{web.committee1.id}-unit": "4"}
    )
    assert response.status_code == 302
    session.expire_all()
    assert {(q.committee_id, q.kind, q.places) for q in draft.quotas} >= {
        (web.committee2.id, "individual", 3),
        (web.committee1.id, "unit", 4),
    }
    response = web_client.post(f"/admin/campaigns/{draft.id}/status", data={"action": "open"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Campaign, draft.id).status == "open"


def test_quotas_from_a_sheet_all_or_nothing(web, web_client, session):
    import io

    import openpyxl

    login(web_client, "admin")
    sheet = web_client.get(f"/admin/campaigns/{web.campaign.id}/quotas.xlsx").data
    wb = openpyxl.load_workbook(io.BytesIO(sheet))
    ws = wb.active
    assert [c.value for c in ws[2]][:2] == ["code", "name"]
    ws.append(["C2", "第二工委", 5, 2, "x"])
    out = io.BytesIO()
    wb.save(out)
    response = web_client.post(
        f"/admin/campaigns/{web.campaign.id}/quotas/sheet",
        data={"sheet": (io.BytesIO(out.getvalue()), "quotas.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "不小于 0 的整数" in response.get_data(as_text=True)
    ws.cell(row=ws.max_row, column=5, value=1)
    out = io.BytesIO()
    wb.save(out)
    response = web_client.post(
        f"/admin/campaigns/{web.campaign.id}/quotas/sheet",
        data={"sheet": (io.BytesIO(out.getvalue()), "quotas.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    session.expire_all()
    places = {(q.committee_id, q.kind): q.places for q in web.campaign.quotas}
    assert places[(web.committee2.id, "individual")] == 5
    assert places[(web.committee2.id, "team")] == 1


def test_a_new_campaign_keeps_what_was_typed_and_names_the_wrong_fields(web, web_client):
    login(web_client, "admin")
    page = web_client.get("/admin/campaigns/new").get_data(as_text=True)
    assert 'name="offer_individual"' in page
    response = web_client.post(
        "/admin/campaigns/new",
        data={
            "year": "2027",
            "name": web.campaign.name,
            "nomination_deadline": "2027-06-30",
            "offer_individual": "y",
            "award_individual": "奖章",
            "notice_working_days": "0",
            "consultation_rules": "kind=individual D-HR",
            "objection_body": "劳模办",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "已有同名的评选活动" in page and "第 1 行缺少 -&gt;" in page and 'value="劳模办"' in page


def test_judges_and_bars_through_the_pages(web, web_client, session):
    login(web_client, "admin")
    judge = web.users["judge1"]
    response = web_client.post(
        f"/admin/campaigns/{web.campaign.id}/judges",
        data={"member": [str(judge.id)], "chair": str(judge.id)},
    )
    assert response.status_code == 302
    session.expire_all()
    assert [(j.user_id, j.chair) for j in web.campaign.judges] == [(judge.id, True)]
    response = web_client.post(
        f"/admin/campaigns/{web.campaign.id}/bars", data={"unit": str(web.unit2.id), "reason": ""}
    )
    assert response.status_code == 422
    response = web_client.post(
        f"/admin/campaigns/{web.campaign.id}/bars",
        data={"unit": str(web.unit2.id), "reason": "欠薪"},
    )
    assert response.status_code == 302
    assert "欠薪" in web_client.get(f"/admin/campaigns/{web.campaign.id}/bars").get_data(
        as_text=True
    )


def test_the_auditor_sees_each_administrative_change(web, web_client, new_web_client):
    login(web_client, "admin")
    web_client.post(
        "/admin/organisations/new",
        data={"kind": "unit", "parent": str(web.committee1.id), "code": "U-AUD", "name": "审计"},
    )
    web_client.post(
        f"/admin/campaigns/{web.campaign.id}/quotas",
        data={f"q-{web.committee2.id}-individual": "6"},
    )
    auditor = new_web_client()
    login(auditor, "auditor")
    for action, seen in (("organisation.create", "→ 基层单位"), ("quota.set", "→ 6")):
        page = auditor.get(f"/audit/?action={action}").get_data(as_text=True)
        assert f'data-action="{action}"' in page and seen in page, action


# --- what trying every role found --------------------------------------------------------


def test_a_password_link_ends_the_old_password_sessions_and_tokens(
    web, web_client, new_web_client, session
):
    from nomination.accounts import create_api_token
    from nomination.models import ApiToken

    token = create_api_token(session, web.users["unit2"], name="t", actor=web.users["unit2"])
    session.commit()
    victim = new_web_client()
    login(victim, "unit2")
    assert victim.get("/api/v1/me").status_code == 200
    login(web_client, "admin")
    web_client.post(f"/admin/users/{web.users['unit2'].id}/password", data={"how": "link"})
    assert victim.get("/api/v1/me").status_code == 401
    assert login(new_web_client(), "unit2").status_code == 200  # the old password: refused
    bearer = new_web_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert bearer.status_code == 401
    assert session.scalar(select(func.count(ApiToken.id)).where(ApiToken.revoked_at.is_(None))) == 0


def test_the_temporary_password_cannot_be_kept(web, web_client, new_web_client):
    login(web_client, "admin")
    page = web_client.post(
        f"/admin/users/{web.users['unit1'].id}/password", data={"how": "temporary"}
    ).get_data(as_text=True)
    temporary = re.search(r'id="temporary-password">([^<]+)<', page).group(1)
    browser = new_web_client()
    login(browser, "unit1", temporary)
    response = browser.post(
        "/password", data={"current": temporary, "new": temporary, "confirm": temporary}
    )
    assert response.status_code == 200 and "新密码不能与当前密码相同" in response.get_data(
        as_text=True
    )
    assert "/password" in browser.get("/").location


def _enrolled(web, session):
    import pyotp

    from nomination.administration.security import confirm_enrolment, start_enrolment

    user = web.users["federation"]
    start_enrolment(user)
    confirm_enrolment(user, pyotp.TOTP(user.totp_secret).at(int(NOW.timestamp())), now=NOW)
    session.commit()
    return user


def test_a_totp_code_works_once(web, new_web_client, session):
    from datetime import timedelta

    import pyotp

    user = _enrolled(web, session)
    later = NOW + timedelta(seconds=60)
    web_client_app = new_web_client().application
    web_client_app.config["FROZEN_TIME"] = later
    try:
        code = pyotp.TOTP(user.totp_secret).at(int(later.timestamp()))
        first = new_web_client()
        login(first, "federation")
        assert first.post("/login/code", data={"code": code}).status_code == 302
        second = new_web_client()
        login(second, "federation")
        response = second.post("/login/code", data={"code": code})
        assert response.status_code == 200 and "验证码不正确" in response.get_data(as_text=True)
    finally:
        web_client_app.config["FROZEN_TIME"] = NOW


def test_guessing_the_code_is_limited_like_the_password(web, new_web_client, session):
    _enrolled(web, session)
    browser = new_web_client()
    login(browser, "federation")
    answers = [
        browser.post("/login/code", data={"code": f"00000{i}"}).status_code for i in range(7)
    ]
    assert answers[:5] == [200] * 5 and answers[-1] == 429


def test_a_unit_added_in_the_quota_table_gets_what_was_typed(web, web_client, session):
    login(web_client, "admin")
    response = web_client.post(
        f"/admin/campaigns/{web.campaign.id}/quotas",
        data={
            "add_org": str(web.unit3.id),
            "add_individual": "2",
            "add_unit": "1",
            "add_team": "1",
        },
    )
    assert response.status_code == 302
    session.expire_all()
    places = {(q.committee_id, q.kind): q.places for q in web.campaign.quotas}
    assert places[(web.unit3.id, "individual")] == 2
    assert places[(web.unit3.id, "unit")] == 1 and places[(web.unit3.id, "team")] == 1


def test_a_deactivated_unit_gets_no_quota(web, session):
    from nomination.administration.campaigns import set_quota
    from nomination.administration.organisations import set_organisation_active
    from nomination.errors import InvalidData

    set_organisation_active(web.unit3, actor=web.users["admin"], active=False, reason="注销")
    with pytest.raises(InvalidData) as caught:
        set_quota(
            session,
            actor=web.users["admin"],
            campaign=web.campaign,
            committee=web.unit3,
            kind="individual",
            places=1,
        )
    assert "committee" in caught.value.fields


def test_clearing_a_role_row_and_keeping_at_least_one_role(web, web_client, session):
    login(web_client, "admin")
    user = web.users["unit2"]
    page = web_client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    expected = re.search(r'id="user-form".*?name="expected"[^>]*value="([0-9a-f]+)"', page, re.S)
    form = {
        "display_name": "unit2",
        "email": "",
        "workplace": "",
        "expected": expected.group(1),
        "roles-0-role": "",
        "roles-0-organisation": str(web.unit2.id),
        "roles-1-role": "unit_submitter",
        "roles-1-organisation": str(web.unit1.id),
    }
    assert web_client.post(f"/admin/users/{user.id}", data=form).status_code == 302
    session.expire_all()
    assert [(r.role, r.organisation_id) for r in user.roles] == [("unit_submitter", web.unit1.id)]
    page = web_client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    expected = re.search(r'id="user-form".*?name="expected"[^>]*value="([0-9a-f]+)"', page, re.S)
    form.update({"roles-1-role": "", "expected": expected.group(1)})
    response = web_client.post(f"/admin/users/{user.id}", data=form)
    assert response.status_code == 422 and "请至少设置一个角色" in response.get_data(as_text=True)


def test_importing_again_updates_a_units_details(web, web_client, session):
    import io

    login(web_client, "admin")
    rows = _unit_rows(1)
    for name in ("导入单位1", "导入单位1(更名)"):
        rows[0][2] = name
        page = web_client.post(
            "/admin/import/",
            data={"action": "check", "sheet": (io.BytesIO(_sheet(rows)), "units.xlsx")},
            content_type="multipart/form-data",
        ).get_data(as_text=True)
        sha256 = re.search(r'name="sheet_sha256" value="([0-9a-f]{64})"', page).group(1)
        page = web_client.post(
            "/admin/import/", data={"action": "import", "sheet_sha256": sha256}
        ).get_data(as_text=True)
    assert "单位已更新" in page
    unit = session.scalar(select(Organisation).where(Organisation.code == "S-001"))
    session.refresh(unit)
    assert unit.name == "导入单位1(更名)"


def test_an_archived_campaign_takes_no_bar(web, web_client, session):
    from nomination.administration.campaigns import move_campaign

    for action in ("close", "archive"):
        move_campaign(web.campaign, actor=web.users["admin"], action=action)
    session.commit()
    login(web_client, "admin")
    response = web_client.post(
        f"/admin/campaigns/{web.campaign.id}/bars",
        data={"unit": str(web.unit2.id), "reason": "欠薪"},
    )
    assert response.status_code == 409
    page = web_client.get(f"/admin/campaigns/{web.campaign.id}").get_data(as_text=True)
    assert "已归档的评选活动不能修改" in page and "<fieldset disabled>" in page


def test_copying_into_a_year_that_has_a_campaign_warns(web, web_client):
    login(web_client, "admin")
    response = web_client.post(
        f"/admin/campaigns/{web.campaign.id}/copy",
        data={"year": "2026", "name": "2026年评选(补充)", "nomination_deadline": "2026-12-31"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "2026 年已有评选活动" in page
    response = web_client.post(
        f"/admin/campaigns/{web.campaign.id}/copy",
        data={"year": "2027", "name": "2027年评选", "nomination_deadline": "2027-12-31"},
        follow_redirects=True,
    )
    assert "已有评选活动" not in response.get_data(as_text=True)


def test_the_campaign_pages_speak_to_people_not_in_codes(web, web_client, create_org):
    """Statuses by name, awards by the honour's name, rules hinted with the real codes."""
    create_org("CY-D-SAFE", "department", web.federation, name="应急管理局")
    login(web_client, "admin")
    overview = web_client.get("/admin/").get_data(as_text=True)
    campaigns = overview[overview.index(web.campaign.name) :]
    campaigns = campaigns[: campaigns.index("</li>")]
    assert f">{web.campaign.status}<" not in campaigns and ">进行中<" in campaigns
    page = web_client.get("/admin/campaigns/new").get_data(as_text=True)
    award = re.search(r'<input[^>]*name="award_individual"[^>]*>', page)[0]
    assert 'value="劳动奖章"' in award  # the honour, not the procedure (劳动奖章推荐)
    english = re.search(r'<input[^>]*name="award_en_unit"[^>]*>', page)[0]
    assert 'value="Labour Award"' in english
    rules = page[page.index('name="consultation_rules"') :]
    rules = rules[: rules.index("</div>")]
    # The hint names this federation's departments, not codes that exist nowhere.
    assert "CY-D-SAFE" in rules and "D-HR" in rules and "D-DISC" not in rules
