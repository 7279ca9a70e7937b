"""The notice board: order, publication snapshots, archive, print version, PDF, Atom feed."""

from __future__ import annotations

import json
import re
import zipfile
import zlib
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from sqlalchemy import delete, select

from nomination.actors import PUBLIC, SYSTEM
from nomination.administration.campaigns import close_campaign, create_campaign, set_quota
from nomination.audit.checkpoints import create_checkpoint, generate_keys
from nomination.demo import UNITS, credit_code
from nomination.engine import apply_due_timers, current_definitions, fire
from nomination.errors import InvalidData
from nomination.models import AuditEvent, Campaign, Nomination, NoticeEntry
from nomination.nominations.operations import create_nomination
from nomination.notices import publication as notices
from nomination.notices import strokes

from factories import NOW, OBJECTION, attach_required_files, person_data, recommendation
from test_web_support import walk_to_notice

pytest_plugins = ["test_web_support"]

ATOM = "{http://www.w3.org/2005/Atom}"


#: Never on a public page: the nominee's ID number, phone, birth date and full deeds.
PRIVATE = ("110105194912310038", "13910000000", "1949-12-31", "累计节约标准煤")


def to_notice(nomination, tree, unit_user="unit1", committee_user="committee1"):
    """Take a nomination through every level onto public notice, at the fixed clock."""
    u = tree.users
    fire(nomination, "recommend", u[unit_user], data=recommendation())
    fire(nomination, "forward", u[committee_user], data={"comment": "同意"})
    fire(nomination, "accept", u["federation"], data={"comment": "符合条件"})
    fire(nomination, "consultation_clear", u["federation"], data={"comment": "各部门无异议"})
    fire(nomination, "select", u["federation"], data={"comment": "评审通过"})
    assert nomination.state == "public_notice"
    return nomination


def unit_data(name: str) -> dict:
    """Return complete data for a unit nominee (a labour award certificate)."""
    return {
        "full_name": name,
        "credit_code": credit_code(UNITS[0]),
        "unit_type": "state_owned",
        "head": "郑国栋",
        "staff_count": 436,
        "has_union": True,
        "phone": "13910000000",
        "summary": "保障朝阳区望京地区冬季供热。",
        "deeds": "保障朝阳区望京地区冬季供热,累计节约标准煤一万余吨。",
    }


@pytest.fixture
def stroke_campaign(session, tree):
    """A second open campaign of the federation, ordering its notice by surname strokes."""
    campaign = create_campaign(
        session,
        actor=SYSTEM,
        year=2026,
        name="2026年首都劳动奖章(按姓氏笔画)",
        federation=tree.federation,
        nomination_deadline=tree.campaign.nomination_deadline,
        awards={
            "individual": ("首都劳动奖章", "Capital Labour Medal"),
            "unit": ("首都劳动奖状", "Capital Labour Award"),
        },
        notice_working_days=5,
        objection_contact={
            "body": "朝阳区总工会劳模办",
            "address": "北京市朝阳区金台路甲12号",
            "phone": "010-65099999",
            "email": "laomoban@example.org",
        },
        notice_order="stroke",
    )
    return campaign


@pytest.fixture
def nominate(session, tree):
    """Return a factory: a nomination by ``unit_user`` in ``campaign``, put on notice."""
    # The small federation's quota (two places) would stop the third nominee.
    set_quota(
        session,
        actor=SYSTEM,
        campaign=tree.campaign,
        committee=tree.committee1,
        kind="individual",
        places=20,
    )

    def factory(name, campaign=None, unit_user="unit1", kind="individual", **fields):
        user = tree.users[unit_user]
        data = unit_data(name) if kind == "unit" else person_data(name=name, **fields)
        n = create_nomination(
            session,
            actor=user,
            campaign=campaign or tree.campaign,
            kind=kind,
            unit=user.roles[0].organisation,
            data=data,
        )
        attach_required_files(n, user)
        committee = "committee2" if unit_user == "unit3" else "committee1"
        return to_notice(n, tree, unit_user, committee)

    return factory


def board_names(html: str) -> list[str]:
    """Return the nominee names on a page, in the order shown."""
    return re.findall(r'data-notice-field="name">([^<]*)<', html)


# --- stroke order -------------------------------------------------------------------------


def test_stroke_counts_are_the_mainland_counts():
    # Unihan's first value: 阝 two strokes, 艹 three, 黄 eleven (ICU's stroke collation
    # counts these as Taiwan does: 陈 8, 邓 5, 黄 12).
    assert [strokes.strokes(c) for c in "王刘张李陈邓黄蔡艾丁"] == [4, 6, 7, 7, 7, 4, 11, 14, 5, 2]
    assert strokes.strokes("A") is None


def test_people_are_ordered_by_surname_strokes_then_given_name():
    names = [
        "Smith", "欧阳修", "陈静", "李娜", "张伟", "欧小红", "王芳", "司马光", "王一", "丁一",
        "邓亚萍", "Émile Zola", "adam", "黄敏",
    ]  # fmt: skip
    assert sorted(names, key=strokes.person_key) == [
        "丁一",  # 丁 2
        "王一",  # 王 4; 一 (1) before 芳 (7)
        "王芳",
        "邓亚萍",  # 邓 4, after 王 (ICU breaks ties between equal counts)
        "司马光",  # compound surname 司马, 司 5
        "张伟",  # 7
        "李娜",  # 7
        "陈静",  # 7 (阝 counts two)
        "欧小红",  # 欧 8: the single surname 欧 before the compound 欧阳
        "欧阳修",
        "黄敏",  # 11
        "adam",  # names that are not Chinese follow, in ICU's root collation
        "Émile Zola",
        "Smith",
    ]


def test_compound_surnames_are_recognised():
    assert strokes.split_name("欧阳修") == ("欧阳", "修")
    assert strokes.split_name("诸葛亮") == ("诸葛", "亮")
    assert strokes.split_name("上官婉儿") == ("上官", "婉儿")
    assert strokes.split_name("王 芳") == ("王", "芳")
    # The compound surname 欧阳 sorts as one: every 欧 before it, whatever the given name.
    assert strokes.person_key("欧振华") < strokes.person_key("欧阳明")
    # Without the surname, the second character would decide: 阳 (6) before 振 (10).
    assert strokes.name_key("欧阳明") < strokes.name_key("欧振华")


def test_units_are_ordered_by_the_strokes_of_their_names():
    names = ["北京朝阳医院", "中国国际贸易中心", "三元食品", "北京热力集团", "Acme Ltd"]
    assert sorted(names, key=strokes.name_key) == [
        "三元食品",  # 三 3
        "中国国际贸易中心",  # 中 4
        "北京热力集团",  # 北 5, 京 8, then 热 10
        "北京朝阳医院",  # … before 朝 12
        "Acme Ltd",
    ]


def test_unihan_is_read_from_a_zip_or_a_text_file(app, tmp_path, monkeypatch):
    lines = "U+738B\tkTotalStrokes\t4\nU+9648\tkTotalStrokes\t7\nU+8303\tkTotalStrokes\t8 9\n"
    archive = tmp_path / "Unihan.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("Unihan_IRGSources.txt", "# comment\n" + lines)
    text = tmp_path / "Unihan_IRGSources.txt"
    text.write_text(lines, encoding="utf-8")
    for path in (archive, text, tmp_path):
        monkeypatch.setitem(app.config, "UNIHAN_FILE", str(path))
        with app.app_context():
            assert strokes.stroke_counts() == {"王": 4, "陈": 7, "范": 8}


def test_missing_stroke_data_is_a_clear_error(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UNIHAN_FILE", str(tmp_path / "nowhere.zip"))
    with app.app_context(), pytest.raises(strokes.StrokeDataMissing, match="unicode-data"):
        strokes.person_key("王芳")


def test_notice_order_is_unit_or_stroke(tree):
    assert tree.campaign.notice_order == "unit"
    with pytest.raises(InvalidData) as exc:
        tree.campaign.notice_order = "alphabet"
    assert "notice_order" in exc.value.fields


def test_board_follows_the_campaigns_order(session, web, web_client, stroke_campaign, nominate):
    # By unit (the campaign's default): unit1's nominees, then unit2's, then another committee.
    nominate("王芳", unit_user="unit3")
    nominate("陈静", unit_user="unit2")
    nominate("欧阳修", unit_user="unit1")
    # By surname strokes, whatever the order they were published in.
    for name in ("欧阳修", "陈静", "刘洋", "王芳", "丁一"):
        nominate(name, stroke_campaign)
    nominate("北京朝阳医院", stroke_campaign, kind="unit")
    nominate("三元食品有限公司", stroke_campaign, kind="unit")
    session.commit()

    page = web_client.get("/notices/").text
    by_unit = page[page.index(f'data-campaign="{web.campaign.id}"') :]
    by_stroke = page[page.index(f'data-campaign="{stroke_campaign.id}" data-kind="individual"') :]
    assert board_names(by_unit)[:3] == ["欧阳修", "陈静", "王芳"]
    assert board_names(by_stroke)[:5] == ["丁一", "王芳", "刘洋", "陈静", "欧阳修"]
    units = page[page.index(f'data-campaign="{stroke_campaign.id}" data-kind="unit"') :]
    shown = re.findall(r'data-notice-field="full_name">([^<]*)<', units)
    assert shown == ["三元食品有限公司", "北京朝阳医院"]
    assert "按姓氏笔画排序" in by_stroke

    items = web_client.get("/api/v1/notices").json["items"]
    stroke_items = [
        i
        for i in items
        if i["campaign_id"] == stroke_campaign.id and i["award_kind"] == "individual"
    ]
    assert [i["fields"]["name"] for i in stroke_items] == ["丁一", "王芳", "刘洋", "陈静", "欧阳修"]
    assert [i["position"] for i in stroke_items] == [1, 2, 3, 4, 5]
    assert {i["notice_order"] for i in stroke_items} == {"stroke"}
    unit_items = [i for i in items if i["campaign_id"] == web.campaign.id]
    assert [i["fields"]["name"] for i in unit_items] == ["欧阳修", "陈静", "王芳"]


# --- publication snapshots ----------------------------------------------------------------


def test_publication_stores_what_the_public_sees(session, web, nominate):
    n = nominate("张建国")
    [entry] = session.scalars(select(NoticeEntry).where(NoticeEntry.nomination_id == n.id))
    assert entry.sequence == 1
    assert entry.published_at == NOW
    assert entry.ends_at == n.timer_due_at  # the period the engine's timer closes
    assert entry.closed_at is None
    assert entry.unit_name == "单位一"
    assert entry.issuer == "朝阳区总工会"
    assert entry.award_title == {"zh": "首都劳动奖章", "en": "Capital Labour Medal"}
    assert entry.objection_contact == {"body": "朝阳区总工会劳模办", "phone": "010-65099999"}
    assert [f["name"] for f in entry.fields] == ["name", "gender", "post", "summary"]
    gender = entry.fields[1]
    assert gender["value"] == "male"
    assert gender["label"] == {"zh": "性别", "en": "Gender"}
    assert gender["display"] == {"zh": "男", "en": "Male"}
    stored = repr(entry.fields) + repr(entry.objection_contact)
    for private in PRIVATE:
        assert private not in stored
    # The transition's audit event names the entry and the digest of what it published.
    event = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "transition.select", AuditEvent.entity_id == str(n.id)
        )
    ).one()
    assert event.after["notice_entry"] == {
        "id": entry.id,
        "sequence": 1,
        "sha256": notices.digest(entry),
    }
    # Read back from the database, the archived entry still matches what the trail recorded.
    session.commit()
    session.expire_all()
    assert (
        notices.digest(session.get(NoticeEntry, entry.id)) == event.after["notice_entry"]["sha256"]
    )


def test_every_transition_into_or_out_of_the_notice_publishes_or_ends_it():
    for name, wf in current_definitions().items():
        for t in wf.transitions:
            if t.dest == "public_notice":
                assert "publish_notice" in t.effects, (name, t.trigger)
            if "public_notice" in t.sources and t.dest != "public_notice":
                assert "end_notice" in t.effects, (name, t.trigger)


def test_notice_closes_by_the_timer_into_the_archive(session, web, web_client, nominate):
    n = nominate("张建国")
    due = n.timer_due_at
    session.commit()
    # (Other tests commit campaigns of their own for real: look only at this one's.)
    assert f'data-campaign="{web.campaign.id}"' not in web_client.get("/notices/archive").text

    # The tick runs a day late; the entry still closed when its period ended.
    apply_due_timers(session, due + timedelta(days=1))
    session.commit()
    assert n.state == "final_approval"
    entry = session.scalars(select(NoticeEntry).where(NoticeEntry.nomination_id == n.id)).one()
    assert entry.closed_at == due

    assert "张建国" not in web_client.get("/notices/").text
    index = web_client.get("/notices/archive")
    assert index.status_code == 200
    assert f'data-campaign="{web.campaign.id}" data-kind="individual"' in index.text
    page = web_client.get(f"/notices/archive/{web.campaign.id}/individual")
    assert page.status_code == 200
    assert board_names(page.text) == ["张建国"]
    assert "朝阳区总工会劳模办" in page.text
    # Nothing about the outcome: neither the state it reached nor a decision.
    for word in ("待审批", "final_approval", "批准", "Approved"):
        assert word not in page.text


def test_notice_closes_lazily_when_read_after_its_period(
    app, session, web, web_client, nominate, monkeypatch
):
    n = nominate("张建国")
    session.commit()
    monkeypatch.setitem(app.config, "FROZEN_TIME", n.timer_due_at + timedelta(seconds=1))
    page = web_client.get(f"/notices/archive/{web.campaign.id}/individual")
    assert page.status_code == 200
    assert board_names(page.text) == ["张建国"]
    session.expire_all()
    assert session.get(Nomination, n.id).state == "final_approval"


def test_archive_shows_what_was_published_not_the_current_data(session, web, web_client, nominate):
    n = nominate("张建国", post="北京热力集团 运行班班长")
    apply_due_timers(session, n.timer_due_at)
    # Whatever happens to the nomination, its unit or its campaign later…
    n.data = {**n.data, "name": "张改名", "post": "改后的岗位", "summary": "改后的事迹"}
    n.nominee_name = "张改名"
    n.unit.name = "改名后的单位"
    web.campaign.objection_contact = {"body": "另一个受理单位"}
    session.commit()

    # … the archive, its print version and the feed show the notice as it was published.
    for path in (
        f"/notices/archive/{web.campaign.id}/individual",
        f"/notices/archive/{web.campaign.id}/individual/print",
        "/notices/feed.atom",
    ):
        text = web_client.get(path).get_data(as_text=True)
        assert "张建国" in text, path
        assert "单位一" in text, path
        for later in ("张改名", "改后的岗位", "改后的事迹", "改名后的单位", "另一个受理单位"):
            assert later not in text, (path, later)
    text = web_client.get(f"/notices/archive/{web.campaign.id}/individual").text
    assert "北京热力集团 运行班班长" in text
    assert "扎根供热一线三十年" in text


def test_objection_ends_the_entry_and_a_resumed_notice_is_published_again(
    session, web, web_client, nominate
):
    n = nominate("张建国")
    first_end = n.timer_due_at
    later = NOW + timedelta(hours=2)
    fire(n, "object", PUBLIC, data=dict(OBJECTION), now=later)
    first = session.scalars(select(NoticeEntry).where(NoticeEntry.nomination_id == n.id)).one()
    assert first.closed_at == later  # interrupted before its end
    session.commit()
    assert "张建国" not in web_client.get("/notices/").text
    archived = web_client.get(f"/notices/archive/{web.campaign.id}/individual").text
    assert board_names(archived) == ["张建国"]
    assert "赵明" not in archived and "安全生产事故" not in archived  # nothing of the objection

    resumed = NOW + timedelta(days=1)
    fire(n, "dismiss_objection", web.users["federation"], data={"comment": "不成立"}, now=resumed)
    session.commit()
    entries = session.scalars(
        select(NoticeEntry).where(NoticeEntry.nomination_id == n.id).order_by(NoticeEntry.sequence)
    ).all()
    assert [e.sequence for e in entries] == [1, 2]
    assert entries[0].ends_at == first_end
    assert entries[1].published_at == resumed
    assert entries[1].ends_at == n.timer_due_at > first_end
    assert entries[1].closed_at is None
    board = web_client.get("/notices/").text
    assert board_names(board) == ["张建国"]
    # The first publication stays in the archive as it was; the second is not there yet.
    archived = web_client.get(f"/notices/archive/{web.campaign.id}/individual").text
    assert board_names(archived) == ["张建国"]
    assert 'data-sequence="2"' not in archived


def test_closing_the_campaign_moves_its_notice_to_the_archive(session, web, web_client, nominate):
    nominate("张建国")
    close_campaign(web.campaign, actor=web.users["admin"])
    session.commit()
    assert "张建国" not in web_client.get("/notices/").text
    page = web_client.get(f"/notices/archive/{web.campaign.id}/individual")
    assert board_names(page.text) == ["张建国"]


def test_a_nomination_on_notice_without_an_entry_is_still_shown(session, web, web_client):
    # Nominations pinned to a definition version from before publication snapshots have none.
    n = create_nomination(
        session,
        actor=web.users["unit1"],
        campaign=web.campaign,
        kind="individual",
        unit=web.unit1,
        data=person_data(),
    )
    attach_required_files(n, web.users["unit1"])
    walk_to_notice(n, web)
    session.execute(delete(NoticeEntry).where(NoticeEntry.nomination_id == n.id))
    session.commit()
    page = web_client.get("/notices/").text
    assert board_names(page) == ["张建国"]
    assert web_client.get("/api/v1/notices").json["items"][0]["fields"]["name"] == "张建国"
    assert web_client.get(f"/notices/{n.id}/object").status_code == 200


# --- print version, PDF and feed ----------------------------------------------------------


def test_print_version_is_the_notice_as_posted(session, web, web_client, stroke_campaign, nominate):
    for name in ("欧阳修", "王芳"):
        nominate(name, stroke_campaign)
    session.commit()
    response = web_client.get(f"/notices/{stroke_campaign.id}/individual/print")
    assert response.status_code == 200
    html = response.text
    assert "首都劳动奖章拟表彰对象公示" in html
    assert "2026年11月18日 至 2026年11月24日 17:00" in html  # five working days
    assert html.index("王芳") < html.index("欧阳修")  # in stroke order
    for contact in ("朝阳区总工会劳模办", "北京市朝阳区金台路甲12号", "010-65099999"):
        assert contact in html
    assert "laomoban@example.org" in html
    # Signed by the federation, dated the day of publication.
    signature = html[html.index('class="signature"') :]
    assert "朝阳区总工会" in signature and "2026年11月18日" in signature
    assert "@page" in html and "navbar" not in html
    for private in PRIVATE:
        assert private not in html
    assert response.headers["Cache-Control"] in ("public, max-age=300", "max-age=300, public")
    assert "Accept-Language" in response.headers["Vary"]

    english = web_client.get(
        f"/notices/{stroke_campaign.id}/individual/print", query_string={"lang": "en"}
    ).text
    assert "Notice period" in english
    assert web_client.get(f"/notices/{stroke_campaign.id}/team/print").status_code == 404
    assert web_client.get(f"/notices/{stroke_campaign.id}/dogs/print").status_code == 404
    assert web_client.get("/notices/999999/individual/print").status_code == 404


def _pdf_streams(pdf: bytes) -> list[bytes]:
    """Return the PDF's streams, inflated (its objects, fonts, pages)."""
    out = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return out


def _pdf_unicode_text(streams: list[bytes]) -> str:
    """Return every character the PDF's fonts map back to Unicode (their ToUnicode CMaps)."""
    found = []
    for data in streams:
        if b"begincmap" in data:
            for target in re.findall(rb"<[0-9A-Fa-f]+>\s*<([0-9A-Fa-f]+)>", data):
                found.append(bytes.fromhex(target.decode()).decode("utf-16-be", "replace"))
    return "".join(found)


def test_pdf_is_the_print_version(session, web, web_client, nominate):
    nominate("欧阳修")
    session.commit()
    response = web_client.get(f"/notices/{web.campaign.id}/individual/notice.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"notice-2026-{web.campaign.id}-individual.pdf" in disposition
    assert "max-age=300" in response.headers["Cache-Control"]
    assert "no-cache" not in response.headers["Cache-Control"]
    pdf = response.data
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    # A CJK font is embedded, and carries the nominee, the unit, the title and the federation.
    streams = _pdf_streams(pdf)
    fonts = {f for s in streams for f in re.findall(rb"/BaseFont\s*/([^\s/<>]+)", s)}
    assert any(b"CJK" in f for f in fonts), fonts
    text = _pdf_unicode_text(streams)
    for ch in "欧阳修单位一首都劳动奖章公示朝阳区总工会":
        assert ch in text, ch
    assert "110105194912310038"[:6] not in text  # no ID number digits beyond the date

    # Asked again with its ETag, it is not generated again.
    again = web_client.get(
        f"/notices/{web.campaign.id}/individual/notice.pdf",
        headers={"If-None-Match": response.headers["ETag"]},
    )
    assert again.status_code == 304
    assert again.data == b""


def test_archived_pdf_is_kept_longer(session, web, web_client, nominate):
    n = nominate("欧阳修")
    apply_due_timers(session, n.timer_due_at)
    session.commit()
    response = web_client.get(f"/notices/archive/{web.campaign.id}/individual/notice.pdf")
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF-")
    assert "max-age=86400" in response.headers["Cache-Control"]
    assert web_client.get(f"/notices/{web.campaign.id}/individual/notice.pdf").status_code == 404


def test_atom_feed_lists_each_posted_notice(session, web, web_client, stroke_campaign, nominate):
    nominate("王芳", stroke_campaign)
    nominate("欧阳修", stroke_campaign)
    closed = nominate("张建国")
    apply_due_timers(session, closed.timer_due_at, ids=[closed.id])
    session.commit()

    board = web_client.get("/notices/").text
    assert '<link rel="alternate" type="application/atom+xml" href="/notices/feed.atom"' in board
    response = web_client.get("/notices/feed.atom")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    feed = ElementTree.fromstring(response.data)
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}id") == "http://localhost/notices/feed.atom"
    assert feed.findtext(f"{ATOM}title")
    assert feed.findtext(f"{ATOM}updated") == "2026-11-18T02:00:00Z"
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == "http://localhost/notices/feed.atom"
    # (Other tests commit campaigns of their own for real: look only at this test's two.)
    ours = (f"/notices/#notice-{stroke_campaign.id}-", f"/notices/archive/{web.campaign.id}/")
    entries = [
        e
        for e in feed.findall(f"{ATOM}entry")
        if any(part in e.find(f"{ATOM}link").get("href") for part in ours)
    ]
    assert len(entries) == 2  # one per campaign, award kind and day of publication
    by_title = {e.findtext(f"{ATOM}title"): e for e in entries}
    [current] = [e for t, e in by_title.items() if "按姓氏笔画" in t]
    [archived] = [e for t, e in by_title.items() if "按姓氏笔画" not in t]
    for entry in entries:
        assert entry.findtext(f"{ATOM}id").startswith("urn:uuid:")
        assert entry.findtext(f"{ATOM}updated") == "2026-11-18T02:00:00Z"
        assert entry.findtext(f"{ATOM}author/{ATOM}name") == "朝阳区总工会"
        assert "首都劳动奖章" in entry.findtext(f"{ATOM}title")
    content = current.findtext(f"{ATOM}content")
    assert content.index("王芳") < content.index("欧阳修")
    assert "张建国" not in content
    assert current.find(f"{ATOM}link").get("href") == (
        f"http://localhost/notices/#notice-{stroke_campaign.id}-individual"
    )
    assert archived.find(f"{ATOM}link").get("href") == (
        f"http://localhost/notices/archive/{web.campaign.id}/individual#period-2026-11-18"
    )
    text = response.get_data(as_text=True)
    for private in PRIVATE:
        assert private not in text
    # Ids stay the same from one reading to the next.
    again = ElementTree.fromstring(web_client.get("/notices/feed.atom").data)
    ids = [e.findtext(f"{ATOM}id") for e in again.findall(f"{ATOM}entry")]
    assert [i for i in ids if i in {e.findtext(f"{ATOM}id") for e in entries}] == [
        e.findtext(f"{ATOM}id") for e in entries
    ]


def test_feed_without_notices_is_valid(web, web_client):
    feed = ElementTree.fromstring(web_client.get("/notices/feed.atom").data)
    assert feed.tag == f"{ATOM}feed"
    # (Other tests commit campaigns of their own for real: none of this test's is in it.)
    links = [e.find(f"{ATOM}link").get("href") for e in feed.findall(f"{ATOM}entry")]
    assert not [link for link in links if f"/{web.campaign.id}/" in link]
    assert not [link for link in links if f"-{web.campaign.id}-" in link]
    assert feed.findtext(f"{ATOM}updated")


def test_public_pages_never_show_private_fields(session, web, web_client, nominate):
    closed = nominate("李建国")
    apply_due_timers(session, closed.timer_due_at, ids=[closed.id])
    nominate("张建国")  # still on notice
    session.commit()
    paths = [
        "/notices/",
        f"/notices/{web.campaign.id}/individual/print",
        "/notices/archive",
        f"/notices/archive/{web.campaign.id}/individual",
        f"/notices/archive/{web.campaign.id}/individual/print",
        "/notices/feed.atom",
        "/api/v1/notices",
    ]
    for path in paths:
        response = web_client.get(path)
        assert response.status_code == 200, path
        text = response.get_data(as_text=True)
        if response.is_json:  # Flask escapes non-ASCII characters in JSON
            text = json.dumps(response.json, ensure_ascii=False)
        if path != "/notices/archive":  # the index names campaigns, not nominees
            assert "张建国" in text or "李建国" in text, path
        for private in (*PRIVATE, "+8613910000000", "汉族"):
            assert private not in text, (path, private)


def test_xss_in_public_fields_is_escaped(session, web, web_client, nominate):
    nominate("张建国", post='<script>alert("x")</script>')
    session.commit()
    for path in ("/notices/", f"/notices/{web.campaign.id}/individual/print"):
        text = web_client.get(path).text
        assert '<script>alert("x")</script>' not in text
        assert "&lt;script&gt;" in text
    feed = web_client.get("/notices/feed.atom").data
    ElementTree.fromstring(feed)  # still well-formed
    assert b"<script>" not in feed


def test_demo_publishes_in_stroke_order_and_archives_last_year(session, web_client):
    from nomination.demo import FEDERATION_CODE, load_demo
    from nomination.models import Organisation

    from factories import PASSWORD

    assert load_demo(session, password=PASSWORD, now=NOW) is True
    session.commit()
    federation = session.scalar(select(Organisation).where(Organisation.code == FEDERATION_CODE))
    previous, current = session.scalars(
        select(Campaign).where(Campaign.federation_id == federation.id).order_by(Campaign.year)
    ).all()
    assert previous.notice_order == current.notice_order == "stroke"

    page = web_client.get(f"/notices/archive/{previous.id}/individual").text
    names = board_names(page)
    assert len(names) >= 2
    assert names == sorted(names, key=strokes.person_key)
    board = web_client.get("/notices/").text
    section = board[board.index(f'data-campaign="{current.id}" data-kind="individual"') :]
    names = board_names(section)
    assert len(names) == 2
    assert names == sorted(names, key=strokes.person_key)


def test_the_checkpoint_is_one_click_away_for_experts(
    app, session, web_client, tmp_path, monkeypatch
):
    folder = tmp_path / "keys"
    monkeypatch.setitem(app.config, "AUDIT_KEY_DIR", str(folder))
    monkeypatch.delitem(app.config, "AUDIT_PRIVATE_KEY", raising=False)
    monkeypatch.delenv("NOMINATION_AUDIT_PRIVATE_KEY", raising=False)
    generate_keys(folder)
    cp = create_checkpoint(session)
    session.commit()
    page = web_client.get("/notices/").text
    # Citizens read the notices; the signed checkpoint is in a closed section they may open.
    before, proof = page.split('<details class="mb-4" id="technical-proof">')
    assert cp.root_hash not in before and cp.key_id not in before
    proof = proof.split("</details>")[0]
    assert "<summary" in proof and cp.root_hash in proof and cp.key_id in proof
    assert 'href="/api/v1/checkpoints/latest"' in proof
