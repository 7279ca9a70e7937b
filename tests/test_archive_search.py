"""Searching the archive: by characters, pinyin and initials; filters; scope; pages; the API."""

from __future__ import annotations

import re
from datetime import date

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import func, select
from stdnum.cn import ric

from nomination.actors import SYSTEM
from nomination.api.openapi import document
from nomination.archive.people import find_or_create_person, report_status
from nomination.archive.search import (
    POSTGRES_PATTERN_INDEXES,
    check_filters,
    read_query,
    search,
    search_units,
    statistics,
)
from nomination.errors import InvalidData
from nomination.models import HonourRecord

from factories import NOW
from test_api_support import Api
from test_web_support import login

pytest_plugins = ["test_web_support"]


def resident_id(serial: int, female: bool = False, birth: str = "19700101") -> str:
    """Return a valid resident ID number, distinct for each ``serial``."""
    body = "110105" + birth + f"{serial * 10 + (2 if female else 3):03d}"[-3:]
    return body + ric.calc_check_digit(body + "0")


def honour(person, *, title, year, level, honour_type="medal", unit=None, status="active"):
    """Return an honour record of ``person`` (kept in the person's honours)."""
    record = HonourRecord(
        kind="individual",
        title=title,
        year=year,
        holder_name=person.name,
        unit_id=(unit or person.unit).id if (unit or person.unit) else None,
        conferred_by="朝阳区总工会",
        decision_number=f"京工发〔{year}〕{person.id}号",
        decision_date=date(year, 4, 28),
        person=person,
        level=level,
        honour_type=honour_type,
        status=status,
        revoked_on=date(year + 1, 1, 1) if status == "revoked" else None,
    )
    return record


class People:
    """The archive the tests search: people of unit1, unit2, unit3 and of another federation."""


@pytest.fixture
def people(session, tree, create_org, create_user):
    """Six people of the federation (two homophones), one of another federation."""
    p = People()

    def add(serial, name, unit, honours, status=None, federation=tree.federation, **fields):
        person, _ = find_or_create_person(
            session,
            federation,
            id_number=resident_id(serial),
            name=name,
            actor=SYSTEM,
            now=NOW,
            unit_id=unit.id,
            unit_name=unit.name,
            **fields,
        )
        for h in honours:
            session.add(honour(person, **h))
        if status:
            report_status(session, person, SYSTEM, status=status, effective_date=date(2025, 1, 1))
        session.flush()
        return person

    p.zhang = add(
        1,
        "张建国",
        tree.unit1,
        [
            {"title": "首都劳动奖章", "year": 2015, "level": "capital"},
            {
                "title": "全国劳动模范",
                "year": 2020,
                "level": "national",
                "honour_type": "model_worker",
            },
        ],
        sector="制造业",
    )
    p.zhang_homophone = add(
        2, "章建国", tree.unit2, [{"title": "首都劳动奖章", "year": 2015, "level": "capital"}]
    )
    p.zhang_jianhua = add(
        3,
        "张建华",
        tree.unit3,
        [
            {
                "title": "朝阳区劳动模范",
                "year": 2018,
                "level": "district",
                "honour_type": "model_worker",
            }
        ],
        status="retired",
    )
    p.wang = add(
        4, "王芳", tree.unit1, [{"title": "首都劳动奖章", "year": 2010, "level": "capital"}]
    )
    p.li = add(
        5, "李秀英", tree.unit3, [{"title": "全国五一劳动奖章", "year": 2015, "level": "national"}]
    )
    # Works in unit3 now, but unit1 conferred her honour: unit1 still sees her.
    p.moved = add(
        6,
        "赵敏",
        tree.unit3,
        [{"title": "首都劳动奖章", "year": 2012, "level": "capital", "unit": tree.unit1}],
    )
    other = create_org("F2", "federation", name="另一区总工会")
    other_unit = create_org("F2U", "unit", create_org("F2C", "committee", other))
    p.other_reviewer = create_user("f2-federation", [("federation_reviewer", other)])
    p.outsider = add(
        7,
        "张建设",
        other_unit,
        [{"title": "首都劳动奖章", "year": 2015, "level": "capital"}],
        federation=other,
    )
    session.flush()
    return p


def names(result):
    return [p.name for p in result.rows]


# --- reading the query -----------------------------------------------------------------------


def test_a_query_is_read_as_characters_or_letters():
    han = read_query(" 张 建国 ")
    assert (han.text, han.han, han.pinyin) == ("张建国", True, "zhangjianguo")
    latin = read_query("Zhang Jian")
    assert (latin.han, latin.letters) == (False, "zhangjian")
    assert read_query("   ") is None


# --- by name ---------------------------------------------------------------------------------


def test_full_pinyin_and_its_prefix_find_the_person(session, tree, people):
    federation = tree.users["federation"]
    full = search(session, federation, q="zhangjianguo")
    assert set(names(full)) == {"张建国", "章建国"}
    prefix = search(session, federation, q="zhangjian")
    assert set(names(prefix)) == {"张建国", "章建国", "张建华"}
    assert prefix.matched == "prefix" and prefix.total == 3
    # Upper case and spaces are the same letters.
    assert set(names(search(session, federation, q="Zhang Jian"))) == set(names(prefix))
    assert names(search(session, federation, q="wangf")) == ["王芳"]
    assert search(session, federation, q="zhangjiao").total == 0


def test_initials_find_the_person(session, tree, people):
    found = search(session, tree.users["federation"], q="zjg")
    assert set(names(found)) == {"张建国", "章建国"}
    assert names(search(session, tree.users["federation"], q="lxy")) == ["李秀英"]


def test_characters_find_by_prefix_and_homophones_then_by_contents(session, tree, people):
    federation = tree.users["federation"]
    prefix = search(session, federation, q="张建")
    assert set(names(prefix)) == {"张建国", "张建华"}
    # The whole name also finds its homophone, after the name itself.
    full = search(session, federation, q="张建国")
    assert names(full) == ["张建国", "章建国"]
    # Nothing starts with 建国: the names containing it are shown, and said so.
    contained = search(session, federation, q="建国")
    assert contained.matched == "contains"
    assert set(names(contained)) == {"张建国", "章建国"}
    assert search(session, federation, q="钱").total == 0


def test_units_and_teams_are_found_by_name(session, tree, people):
    session.add_all(
        [
            HonourRecord(
                kind="unit",
                title="首都劳动奖状",
                year=2019,
                holder_name="北京第一机床厂",
                unit_id=tree.unit1.id,
                conferred_by="北京市总工会",
                decision_number="京工发〔2019〕1号",
                decision_date=date(2019, 4, 28),
                level="capital",
                honour_type="certificate",
            ),
            HonourRecord(
                kind="team",
                title="北京市工人先锋号",
                year=2021,
                holder_name="北京第三机床厂运行班",
                unit_id=tree.unit3.id,
                conferred_by="北京市总工会",
                decision_number="京工发〔2021〕2号",
                decision_date=date(2021, 4, 28),
                level="capital",
                honour_type="pioneer",
            ),
        ]
    )
    session.flush()
    federation = tree.users["federation"]
    assert [r.holder_name for r in search_units(session, federation, q="北京第").rows] == [
        "北京第三机床厂运行班",
        "北京第一机床厂",
    ]
    contains = search_units(session, federation, q="机床厂")
    assert contains.matched == "contains" and contains.total == 2
    assert search_units(session, federation, q="北京", year=2019).total == 1
    # A unit sees its own certificates only; people's honours are never listed here.
    assert [r.holder_name for r in search_units(session, tree.users["unit1"]).rows] == [
        "北京第一机床厂"
    ]


# --- filters ---------------------------------------------------------------------------------


def test_filters_by_honour_status_and_unit(session, tree, people):
    federation = tree.users["federation"]
    assert set(names(search(session, federation, year=2015))) == {"张建国", "章建国", "李秀英"}
    assert set(names(search(session, federation, year=2015, level="national"))) == {"李秀英"}
    # One honour must meet every honour filter: 张建国's national title is of 2020, not 2015.
    assert search(session, federation, q="张建国", year=2015, level="national").total == 0
    assert set(names(search(session, federation, level="national"))) == {"张建国", "李秀英"}
    assert set(names(search(session, federation, title="劳动模范"))) == {"张建国", "张建华"}
    assert set(names(search(session, federation, honour_type="model_worker"))) == {
        "张建国",
        "张建华",
    }
    assert names(search(session, federation, status="retired")) == ["张建华"]
    # A committee's filter takes the people of its units.
    assert set(names(search(session, federation, unit_id=tree.committee1.id))) == {
        "张建国",
        "章建国",
        "王芳",
    }
    assert set(names(search(session, federation, unit_id=tree.unit3.id, q="zh"))) == {
        "张建华",
        "赵敏",
    }


def test_invalid_filters_are_named(session, tree, people):
    with pytest.raises(InvalidData) as caught:
        search(session, tree.users["federation"], level="city", status="gone", year="199x")
    assert set(caught.value.fields) == {"level", "status", "year"}
    with pytest.raises(InvalidData) as caught:
        check_filters(year=1800)
    assert set(caught.value.fields) == {"year"}


def test_pages_and_totals(session, tree, people):
    federation = tree.users["federation"]
    first = search(session, federation, limit=4)
    second = search(session, federation, limit=4, offset=4)
    assert first.total == second.total == 6
    assert len(first.rows) == 4 and len(second.rows) == 2
    assert not {p.id for p in first.rows} & {p.id for p in second.rows}
    # Ordered by pinyin: li, wang, zhang…
    assert names(first)[:2] == ["李秀英", "王芳"]


# --- scope -----------------------------------------------------------------------------------


def test_a_unit_sees_only_its_people(session, tree, people):
    # unit1: who works there, and who holds an honour it conferred (赵敏 moved to unit3).
    assert set(names(search(session, tree.users["unit1"]))) == {"张建国", "王芳", "赵敏"}
    assert set(names(search(session, tree.users["unit3"]))) == {"张建华", "李秀英", "赵敏"}
    assert names(search(session, tree.users["unit2"], q="zjg")) == ["章建国"]
    assert search(session, tree.users["unit3"], q="zhangjianguo").total == 0


def test_the_federation_sees_all_of_its_own_and_nothing_of_another(session, tree, people):
    for user in ("federation", "approver", "auditor", "admin"):
        found = search(session, tree.users[user], q="zhangjian")
        assert set(names(found)) == {"张建国", "章建国", "张建华"}, user
    other = search(session, people.other_reviewer, q="zhangjian")
    assert names(other) == ["张建设"]
    assert search(session, people.other_reviewer).total == 1


def test_others_see_nothing(session, tree, people):
    for user in ("judge1", "dept-hr"):
        assert search(session, tree.users[user]).total == 0, user


def test_a_merged_duplicate_is_not_listed(session, tree, people):
    people.zhang_homophone.merged_into_id = people.zhang.id
    session.flush()
    assert names(search(session, tree.users["federation"], q="zjg")) == ["张建国"]


def test_postgres_indexes_are_given_as_ddl():
    assert all(ddl.startswith("CREATE INDEX") for ddl in POSTGRES_PATTERN_INDEXES)
    assert any('(name COLLATE "C")' in ddl for ddl in POSTGRES_PATTERN_INDEXES)


# --- statistics ------------------------------------------------------------------------------


def test_statistics_count_people_by_each_dimension(session, tree, people):
    stats = statistics(session, tree.users["federation"], check_filters())
    assert stats.people == 6 and stats.honours == 7
    assert dict(stats.by_title)["首都劳动奖章"] == 4
    assert dict(stats.by_level) == {"national": 2, "capital": 4, "district": 1}
    assert dict(stats.by_year)[2015] == 3
    assert dict(stats.by_status) == {"in_service": 5, "retired": 1}
    assert dict(stats.by_unit) == {"单位一": 2, "单位二": 1, "单位三": 3}
    assert dict(stats.by_sector) == {"制造业": 1, "": 5}
    unit = statistics(session, tree.users["unit1"], check_filters(year=2015))
    assert (unit.people, dict(unit.by_title)) == (1, {"首都劳动奖章": 1})


def test_the_statistics_page_shows_counts_and_charts(session, tree, people, new_web_client):
    session.commit()
    client = new_web_client()
    login(client, "federation")
    page = client.get("/archive/statistics").get_data(as_text=True)
    assert re.search(r'data-count="people">6<', page)
    assert re.search(r'data-count="honours">7<', page)
    status = page[page.index('data-table="status"') :]
    assert re.search(r'data-key="退休">.*?data-value="1"', status, re.S)
    assert page.count("<svg") >= 6 and 'id="chart-title"' in page
    # Filtered, and scoped: unit1 counts its own three people only.
    filtered = client.get("/archive/statistics?year=2015&level=national").get_data(as_text=True)
    assert re.search(r'data-count="people">1<', filtered)
    own = new_web_client()
    login(own, "unit1")
    assert re.search(
        r'data-count="people">3<', own.get("/archive/statistics").get_data(as_text=True)
    )
    judge = new_web_client()
    login(judge, "judge1")
    assert judge.get("/archive/statistics").status_code == 403


def test_a_label_with_markup_is_escaped_in_the_charts(session, tree, people, new_web_client):
    people.wang.sector = "<script>alert(1)</script>"
    session.commit()
    client = new_web_client()
    login(client, "federation")
    page = client.get("/archive/statistics").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


# --- the list page ---------------------------------------------------------------------------


def test_the_list_searches_filters_masks_and_pages(session, tree, people, new_web_client):
    session.commit()
    client = new_web_client()
    login(client, "federation")
    page = client.get("/archive/?q=zjg").get_data(as_text=True)
    assert 'data-total="2"' in page
    assert "张建国" in page and "章建国" in page and "王芳" not in page
    # ID numbers masked on the list; each row links to the person's record.
    assert resident_id(1) not in page
    assert resident_id(1)[:3] + "*" * 11 + resident_id(1)[-4:] in page
    assert f'href="/archive/people/{people.zhang.id}"' in page
    assert 'value="zjg"' in page  # what was typed stays in the form
    beyond = client.get("/archive/?page=2&year=2015").get_data(as_text=True)
    assert 'data-total="3"' in beyond and "data-person=" not in beyond
    # A bad filter: its message beside it, the value kept, the others applied.
    bad = client.get("/archive/?year=19x5&level=national")
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert 'id="filter-year-errors"' in text and 'value="19x5"' in text
    assert 'data-total="2"' in text
    units = client.get("/archive/?holder=units").get_data(as_text=True)
    assert 'id="tab-units"' in units and 'data-total="0"' in units


def test_the_list_pages_through_many(session, tree, people, new_web_client):
    for serial in range(10, 70):
        find_or_create_person(
            session,
            tree.federation,
            id_number=resident_id(serial),
            name=f"王{serial}",
            actor=SYSTEM,
            unit_id=tree.unit2.id,
        )
    session.commit()
    client = new_web_client()
    login(client, "federation")
    first = client.get("/archive/").get_data(as_text=True)
    assert 'data-total="66"' in first and first.count("data-person=") == 50
    second = client.get("/archive/?page=2").get_data(as_text=True)
    assert second.count("data-person=") == 16


# --- the API ---------------------------------------------------------------------------------


@pytest.fixture
def api(client, session, tree, people) -> Api:
    return Api(client, session, tree)


def conforms(instance: object) -> None:
    doc = document()
    schema = doc["paths"]["/archive"]["get"]["responses"]["200"]["content"]["application/json"]
    schema = {**schema["schema"], "components": doc["components"]}
    assert [e.message for e in Draft202012Validator(schema).iter_errors(instance)] == []


def test_the_api_lists_the_callers_scope(api, people):
    found = api.get("/archive?q=zjg", "federation")
    assert found.status_code == 200, found.json
    conforms(found.json)
    assert found.json["total"] == 2 and found.json["matched"] == "prefix"
    item = next(i for i in found.json["items"] if i["name"] == "张建国")
    assert item["id_number"] == resident_id(1) and item["masked"] is False
    assert {h["title"] for h in item["honours"]} == {"首都劳动奖章", "全国劳动模范"}
    # Readers get it masked; the unit sees its own people in clear and nobody else's.
    approver = api.get("/archive?q=zjg", "approver").json["items"][0]
    assert approver["masked"] is True and "*" in approver["id_number"]
    own = api.get("/archive?q=zjg", "unit1").json
    assert [i["name"] for i in own["items"]] == ["张建国"] and own["items"][0]["masked"] is False
    assert api.get("/archive?q=zjg", "unit3").json["total"] == 0
    assert api.get("/archive", "judge1").json["total"] == 0


def test_the_api_filters_pages_and_names_bad_filters(api, people):
    found = api.get("/archive?year=2015&title=奖章&limit=2&offset=0", "federation").json
    assert found["total"] == 3 and len(found["items"]) == 2 and found["limit"] == 2
    assert api.get("/archive?status=retired", "federation").json["items"][0]["name"] == "张建华"
    bad = api.get("/archive?level=city&year=abc", "federation")
    assert bad.status_code == 422
    assert set(bad.json["error"]["fields"]) & {"level", "year"}
    assert api.get("/archive?limit=500", "federation").status_code == 422
    assert api.get("/archive").status_code == 401


def test_the_api_list_is_documented():
    op = document()["paths"]["/archive"]["get"]
    assert {p["name"] for p in op["parameters"]} >= {"q", "title", "year", "status", "level"}


def test_counts_never_include_other_scopes(session, tree, people):
    # The total of a unit's search counts its own rows only, whatever the name matches.
    assert search(session, tree.users["unit2"], q="z").total == 1
    total = session.scalar(select(func.count()).select_from(HonourRecord))
    assert total == 8
