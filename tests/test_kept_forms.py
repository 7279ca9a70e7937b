"""A form posted after the login expired is kept, and given back after logging in again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from nomination.models import Nomination, PendingForm
from nomination.web.kept_forms import forget_old

from factories import NOW, person_data
from test_web_support import login

pytest_plugins = ["test_web_support"]
pytestmark = pytest.mark.usefixtures("web")


def expire_login(session, user):
    """End every session of ``user``, as signing out elsewhere does."""
    user.rotate_session()
    session.commit()


def test_a_new_nomination_typed_after_the_login_expired(session, web, web_client):
    login(web_client, "unit1")
    url = f"/nominations/new?campaign_id={web.campaign.id}&kind=individual"
    assert web_client.get(url).status_code == 200
    expire_login(session, web.users["unit1"])
    typed = {k: str(v) for k, v in person_data(name="陈立新").items() if not isinstance(v, bool)}
    typed["unit_id"] = str(web.unit1.id)
    response = web_client.post(url, data=typed)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    created = select(func.count(Nomination.id)).where(Nomination.campaign_id == web.campaign.id)
    assert session.scalar(created) == 0
    kept = session.scalars(select(PendingForm)).one()
    assert "陈立新" not in web_client.get_cookie("session").value  # only a token in the cookie
    assert ["name", "陈立新"] in kept.fields

    login(web_client, "unit1")
    page = web_client.get(url)
    assert "已恢复您在登录过期前填写的内容" in page.text
    assert 'value="陈立新"' in page.text and typed["post"] in page.text
    # Given back once, then gone.
    assert session.scalar(select(func.count(PendingForm.id))) == 0
    assert 'value="陈立新"' not in web_client.get(url).text


def test_an_edit_comes_back_and_cannot_overwrite_a_later_change(
    session, web, web_client, new_web_client, create_nomination_for
):
    n = create_nomination_for("unit1")
    session.commit()
    login(web_client, "unit1")
    edit = f"/nominations/{n.id}/edit"
    assert web_client.get(edit).status_code == 200
    expire_login(session, web.users["unit1"])
    typed = {
        k: str(v) for k, v in person_data(post="我改的职务").items() if not isinstance(v, bool)
    }
    typed["version"] = str(n.version)
    assert web_client.post(edit, data=typed).headers["Location"].startswith("/login")
    login(web_client, "unit1")
    page = web_client.get(edit).text
    assert "已恢复" in page and "我改的职务" in page
    # Saving it works while nobody changed the nomination meanwhile.
    assert web_client.post(edit, data=typed).status_code == 302
    session.expire_all()
    assert session.get(Nomination, n.id).data["post"] == "我改的职务"


def test_other_pages_and_other_sessions_get_nothing(session, web, web_client, new_web_client):
    login(web_client, "unit1")
    url = f"/nominations/new?campaign_id={web.campaign.id}&kind=individual"
    expire_login(session, web.users["unit1"])
    web_client.post(url, data={"name": "陈立新", "unit_id": str(web.unit1.id)})
    other = new_web_client()
    login(other, "unit1")
    assert "陈立新" not in other.get(url).text  # the token is in the first browser only
    login(web_client, "unit1")
    assert "陈立新" not in web_client.get(f"{url}&again=1").text  # another page
    assert "陈立新" in web_client.get(url).text


def test_someone_else_logging_in_next_gets_nothing(session, web, web_client):
    login(web_client, "unit1")
    url = f"/nominations/new?campaign_id={web.campaign.id}&kind=individual"
    expire_login(session, web.users["unit1"])
    web_client.post(url, data={"name": "陈立新", "unit_id": str(web.unit1.id)})
    login(web_client, "unit2")
    assert "陈立新" not in web_client.get(url).text
    # It stays for its own user (until it is a day old).
    assert session.scalar(select(func.count(PendingForm.id))) == 1


def test_nothing_is_kept_for_a_browser_that_was_not_logged_in(session, web, web_client):
    url = f"/nominations/new?campaign_id={web.campaign.id}&kind=individual"
    response = web_client.post(url, data={"name": "陈立新", "unit_id": str(web.unit1.id)})
    assert response.headers["Location"].startswith("/login")
    assert session.scalar(select(func.count(PendingForm.id))) == 0


def test_kept_forms_are_deleted_after_a_day(session, web, web_client):
    login(web_client, "unit1")
    expire_login(session, web.users["unit1"])
    web_client.post(
        f"/nominations/new?campaign_id={web.campaign.id}&kind=individual", data={"name": "x"}
    )
    assert forget_old(session, NOW + timedelta(hours=23)) == 0
    assert forget_old(session, NOW + timedelta(hours=25)) == 1
    assert session.scalar(select(func.count(PendingForm.id))) == 0
