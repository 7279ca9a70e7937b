"""Prior honours: a repeatable group of fields (rows), in the web form, the API and a guard."""

from __future__ import annotations

import pytest

from nomination.engine import fire
from nomination.errors import GuardBlocked

from factories import person_data, recommendation
from test_api_support import Api
from test_web_support import field_block, login

pytest_plugins = ["test_web_support"]
pytestmark = pytest.mark.usefixtures("web")

HONOURS = [
    {"title": "朝阳区劳动模范", "grantor": "朝阳区人民政府", "year": 2019},
    {"title": "北京市五一劳动奖章", "grantor": "北京市总工会", "year": 2022},
]


@pytest.fixture
def api(client, session, web) -> Api:
    return Api(client, session, web)


def test_the_api_takes_rows_and_names_bad_ones(api):
    n = api.create(prior_honours=HONOURS)
    assert api.get(f"/nominations/{n['id']}", "unit1").json["data"]["prior_honours"] == HONOURS
    for bad, message in (
        ("朝阳区劳动模范", "list of rows"),
        ([{"title": "x", "grantor": "y", "year": 2019, "colour": "red"}], "Unknown columns"),
        ([{"title": "朝阳区劳动模范", "year": 2019}], "Row 1 lacks"),
        ([{"title": "朝阳区劳动模范", "grantor": "区政府", "year": 1800}], "1949"),
        ([dict(HONOURS[0])] * 11, "At most 10 rows"),
    ):
        response = api.post(
            "/nominations",
            "unit1",
            json={
                "campaign_id": n["campaign_id"],
                "award_kind": "individual",
                "data": person_data(prior_honours=bad),
            },
            headers={"Accept-Language": "en"},
        )
        assert response.status_code == 422, bad
        assert message in " ".join(response.json["error"]["fields"]["prior_honours"]), bad


def test_the_web_form_offers_rows_and_keeps_what_was_typed(session, web, web_client):
    login(web_client, "unit1")
    url = f"/nominations/new?campaign_id={web.campaign.id}&kind=individual"
    form = web_client.get(url).text
    block = field_block(form, "prior_honours")
    assert 'name="prior_honours-0-title"' in block and 'name="prior_honours-1-title"' not in block
    data = {k: str(v) for k, v in person_data().items() if not isinstance(v, bool)}
    data.update(
        {
            "unit_id": str(web.unit1.id),
            "prior_honours-0-title": "朝阳区劳动模范",
            "prior_honours-0-grantor": "",  # missing
            "prior_honours-0-year": "2019",
        }
    )
    refused = web_client.post(url, data=data)
    assert refused.status_code == 422
    block = field_block(refused.text, "prior_honours")
    assert "缺少" in block and "朝阳区劳动模范" in block and 'value="2019"' in block
    data["prior_honours-0-grantor"] = "朝阳区人民政府"
    created = web_client.post(url, data=data)
    assert created.status_code == 302
    page = web_client.get(created.headers["Location"]).text
    assert "朝阳区劳动模范 · 朝阳区人民政府 · 2019" in page
    # Editing shows the saved row and one empty row to add another.
    edit = web_client.get(created.headers["Location"].split("?")[0] + "/edit").text
    block = field_block(edit, "prior_honours")
    assert 'value="朝阳区劳动模范"' in block and 'name="prior_honours-1-title"' in block


def test_a_campaign_may_require_a_prior_honour(session, web, create_nomination_for):
    web.campaign.require_prior_honour = True
    without = create_nomination_for("unit1")
    with pytest.raises(GuardBlocked) as refused:
        fire(without, "recommend", web.users["unit1"], data=recommendation())
    assert "曾获主要荣誉" in str(refused.value.extra.get("reasons"))
    honoured = create_nomination_for("unit1", data=person_data(name="王芳", prior_honours=HONOURS))
    fire(honoured, "recommend", web.users["unit1"], data=recommendation())
    assert honoured.state == "committee_review"
