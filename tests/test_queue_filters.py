"""The dashboard's list filtered by unit and person category, with each stage's deadline."""

from __future__ import annotations

import pytest

from nomination.engine import fire

from factories import person_data, recommendation
from test_web_support import login

pytestmark = pytest.mark.usefixtures("web")
pytest_plugins = ["test_web_support"]


@pytest.fixture
def listed(session, web, create_nomination_for):
    """Unit1's returned worker, unit1's recommended head, unit2's recommended worker."""
    returned = create_nomination_for("unit1", data=person_data(name="甲工人"))
    fire(returned, "recommend", web.users["unit1"], data=recommendation())
    fire(returned, "return_to_unit", web.users["committee1"], data={"reason": "补充材料"})
    head = create_nomination_for("unit1", data=person_data(name="乙总", category="enterprise_head"))
    fire(head, "recommend", web.users["unit1"], data=recommendation())
    other = create_nomination_for("unit2", data=person_data(name="丙工人"))
    fire(other, "recommend", web.users["unit2"], data=recommendation())
    session.commit()
    return {"returned": returned, "head": head, "other": other}


def names(html: str) -> set[str]:
    table = html[html.index('id="all-heading"') :]
    return {n for n in ("甲工人", "乙总", "丙工人") if n in table}


def test_filters_by_unit_and_category(web_client, web, listed):
    login(web_client, "committee1")
    assert names(web_client.get("/").text) == {"甲工人", "乙总", "丙工人"}
    assert names(web_client.get(f"/?unit_id={web.unit2.id}").text) == {"丙工人"}
    assert names(web_client.get("/?category=enterprise_head").text) == {"乙总"}
    assert names(web_client.get("/?category=industrial_worker").text) == {"甲工人", "丙工人"}
    # Each row shows when its stage ends: the returned one, when it lapses if not resubmitted.
    page = web_client.get(f"/?state=returned&unit_id={web.unit1.id}").text
    row = page[page.index(f'data-nomination="{listed["returned"].id}"') :]
    deadline = row[row.index("data-deadline>") :].split("</td>")[0]
    assert "2026" in deadline


def test_a_unit_sees_only_its_own_units_in_the_filter(web_client, web, listed):
    login(web_client, "unit1")
    page = web_client.get("/").text
    assert 'id="filter-unit"' not in page  # one unit: nothing to choose
    assert names(page) == {"甲工人", "乙总"}
    assert names(web_client.get(f"/?unit_id={web.unit2.id}").text) == set()
