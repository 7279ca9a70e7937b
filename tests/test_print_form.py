"""The printable recommendation and approval form (推荐审批表): who gets it, what it says."""

from __future__ import annotations

import logging
import re
import zlib
from dataclasses import dataclass
from urllib.parse import quote

import pytest

from nomination import engine
from nomination.actors import PUBLIC
from nomination.definitions.forms import FieldDef, FormDef
from nomination.demo import UNITS, credit_code
from nomination.engine import apply_due_timers, fire
from nomination.nominations.printform import grid, printed_fields

from factories import ANSWER, DECIDED_AT, DECIDED_ON, OBJECTION, VERIFY, recommendation
from test_web_support import login, walk_to_notice

pytest_plugins = ["test_web_support"]

#: The boxes of the form, in order, as their titles print.
LEVELS = (
    "推荐单位意见",
    "工委审核意见",
    "区总工会初审意见",
    "征求有关部门意见",
    "评审委员会评审意见",
    "审批意见",
)
#: What a box not yet signed shows where the date goes.
BLANK_DATE = "年　　月　　日"
SIGNED_ON = "2026年11月18日"


# --- reading the PDF's text layer ----------------------------------------------------------


def _objects(pdf: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    """Return the PDF's objects: each one's dictionary and its inflated stream (or None).

    Objects are read one after the other and each stream is cut by its /Length, so that no
    pattern is ever searched for inside compressed data.
    """
    objects: dict[int, tuple[bytes, bytes | None]] = {}
    starts = re.compile(rb"(\d+) 0 obj\b")
    stream = re.compile(rb">>\s*stream(\r\n|\n)")
    position = 0
    while match := starts.search(pdf, position):
        ends = pdf.index(b"endobj", match.end())
        opened = stream.search(pdf, match.end(), ends)
        if opened is None:
            objects[int(match.group(1))] = (pdf[match.end() : ends], None)
            position = ends
            continue
        head = pdf[match.end() : opened.start() + 2]
        length = int(re.search(rb"/Length (\d+)", head).group(1))
        raw = pdf[opened.end() : opened.end() + length]
        data = zlib.decompress(raw) if b"/FlateDecode" in head else raw
        objects[int(match.group(1))] = (head, data)
        position = pdf.index(b"endobj", opened.end() + length)
    # Objects packed into object streams (PDF 1.5): "number offset …" pairs, then the objects.
    for body, data in list(objects.values()):
        if b"/ObjStm" not in body or data is None:
            continue
        first = int(re.search(rb"/First (\d+)", body).group(1))
        numbers = [int(n) for n in data[:first].split()]
        pairs = list(zip(numbers[::2], numbers[1::2], strict=True))
        for i, (number, offset) in enumerate(pairs):
            end = first + pairs[i + 1][1] if i + 1 < len(pairs) else len(data)
            objects[number] = (data[first + offset : end], None)
    return objects


def _ref(text: bytes, key: bytes) -> int | None:
    match = re.search(rb"/" + key + rb"\s+(\d+) 0 R", text)
    return int(match.group(1)) if match else None


def _cmap(data: bytes) -> dict[bytes, str]:
    """Return a ToUnicode CMap: glyph code (hex) → text."""
    out = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for code, text in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            out[code.lower()] = bytes.fromhex(text.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
        ranges = re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block)
        for low, high, start in ranges:
            for k, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                out[f"{code:0{len(low)}x}".encode()] = chr(int(start, 16) + k)
    return out


def pdf_pages(pdf: bytes) -> list[str]:
    """Return each page's text in drawing order, a line per run of text.

    As the notice board's test does, glyphs are mapped back to Unicode through the fonts'
    ToUnicode CMaps; here the page contents are decoded run by run too, so that the order of
    the text (which box an opinion stands in) can be checked.
    """
    objects = _objects(pdf)
    root = objects[int(re.search(rb"/Root (\d+) 0 R", pdf).group(1))][0]
    kids = re.search(rb"/Kids\s*\[(.*?)\]", objects[_ref(root, b"Pages")][0], re.S).group(1)
    pages = []
    for number in re.findall(rb"(\d+) 0 R", kids):
        page = objects[int(number)][0]
        resources = objects[ref][0] if (ref := _ref(page, b"Resources")) else page
        fonts = objects[ref][0] if (ref := _ref(resources, b"Font")) else resources
        cmaps = {}
        for name, font_number in re.findall(rb"/([^\s/<>\[\]]+)\s+(\d+) 0 R", fonts):
            font = objects.get(int(font_number), (b"", None))[0]
            if (ref := _ref(font, b"ToUnicode")) is not None:
                cmaps[name] = _cmap(objects[ref][1])
        content = objects[_ref(page, b"Contents")][1]
        runs, cmap = [], {}
        ops = rb"/([^\s/]+)\s+[\d.]+\s+Tf|\[(.*?)\]\s*TJ|<([0-9A-Fa-f]*)>\s*Tj"
        for match in re.finditer(ops, content, re.S):
            if match.group(1) is not None:
                cmap = cmaps.get(match.group(1), {})
                continue
            strings = (
                re.findall(rb"<([0-9A-Fa-f]*)>", match.group(2))
                if match.group(2) is not None
                else [match.group(3)]
            )
            runs.append(
                "".join(
                    cmap.get(s[i : i + 4].lower(), "\ufffd")
                    for s in strings
                    for i in range(0, len(s), 4)
                )
            )
        pages.append("\n".join(runs))
    return pages


def pdf_text(pdf: bytes) -> str:
    """Return the whole text of the PDF, runs joined (a label wrapped in its cell reads whole)."""
    return "".join(page.replace("\n", "") for page in pdf_pages(pdf))


def boxes(text: str) -> dict[str, str]:
    """Return what each level's box holds: the text from its title to the next one's.

    The page footers ("编号 N · 版本 V", the page number) are left out.
    """
    starts, position = [], 0
    for title in LEVELS:
        position = text.index(title, position)
        starts.append(position)
    ends = [*starts[1:], len(text)]
    return {
        title: re.sub(r"编号 \d+ · 版本 \d+第 \d+ 页 共 \d+ 页", "", text[start + len(title) : end])
        for title, start, end in zip(LEVELS, starts, ends, strict=True)
    }


def signed(box: str) -> bool:
    """Return whether a box is filled in: dated, not left blank for a hand-written date."""
    return BLANK_DATE not in box and re.search(r"\d{4}年\d{1,2}月\d{1,2}日", box) is not None


def get_form(client, nomination_id: int, **kwargs):
    """Ask for the nomination's printed form."""
    return client.get(f"/nominations/{nomination_id}/form.pdf", **kwargs)


def form_text(client, nomination_id: int, **kwargs) -> str:
    """Return the text of the nomination's printed form, checking it is a PDF."""
    response = get_form(client, nomination_id, **kwargs)
    assert response.status_code == 200, response.status_code
    assert response.data.startswith(b"%PDF-")
    return pdf_text(response.data)


@pytest.fixture
def recommended(session, web, create_nomination_for):
    """An individual nomination recommended by unit1 and waiting for its working committee."""
    n = create_nomination_for("unit1")
    fire(n, "recommend", web.users["unit1"], data=recommendation(comment="同意推荐该同志。"))
    session.commit()
    return n


# --- who may print it, and how it is sent --------------------------------------------------


def test_the_unit_gets_its_nominations_form_as_a_private_attachment(
    session, web, web_client, create_nomination_for, caplog
):
    n = create_nomination_for("unit1")
    session.commit()
    login(web_client, "unit1")
    with caplog.at_level(logging.DEBUG):
        response = get_form(web_client, n.id)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "ETag" not in response.headers
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    name = quote("2026年首都劳动奖章推荐审批表-张建国.pdf", safe="")
    assert f"filename*=UTF-8''{name}" in disposition
    # The plain-ASCII name, for clients that ignore filename*, carries the number only.
    assert f'filename="nomination-{n.id}-form.pdf"' in disposition
    # Nothing personal was logged while it was made.
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for private in ("张建国", "110105194912310038", "13910000000"):
        assert private not in logged

    pdf = response.data
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    # A4 portrait (595 × 842 points) on every page, in a CJK font that is embedded.
    objects = _objects(pdf)
    media = [re.search(rb"/MediaBox\s*\[([^\]]*)\]", body) for body, _ in objects.values()]
    sizes = {tuple(round(float(v)) for v in m.group(1).split()) for m in media if m}
    assert sizes == {(0, 0, 595, 842)}
    fonts = {
        f for body, _ in objects.values() for f in re.findall(rb"/BaseFont\s*/([^\s/<>]+)", body)
    }
    assert any(b"CJK" in f for f in fonts), fonts
    text = pdf_text(pdf)
    assert "2026年首都劳动奖章推荐审批表" in text
    for label in ("姓名", "性别", "居民身份证号码", "工作单位及职务(岗位)", "主要事迹摘要"):
        assert label in text, label
    # The official form carries the nominee's data, choices as their labels, dates written out.
    for value in ("张建国", "110105194912310038", "中共党员", "高中/中专/技校", "1949年12月31日"):
        assert value in text, value
    assert "推荐单位（盖章）：单位一" in text
    # A draft: nobody has signed anything yet, and every box is left blank.
    assert all(not signed(box) for box in boxes(text).values())
    assert text.count(BLANK_DATE) == len(LEVELS)


def test_another_unit_gets_not_found(session, web, web_client, new_web_client, recommended):
    for username in ("unit2", "unit3", "committee2"):
        client = new_web_client()
        login(client, username)
        response = get_form(client, recommended.id)
        assert response.status_code == 404, username
        assert not response.data.startswith(b"%PDF")
    login(web_client, "unit1")
    assert get_form(web_client, 999999).status_code == 404


def test_signing_in_is_required(session, web, web_client, recommended):
    response = get_form(web_client, recommended.id)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_reviewers_and_auditors_print_what_they_may_see(session, web, new_web_client, recommended):
    for username in ("committee1", "federation", "auditor"):
        client = new_web_client()
        login(client, username)
        assert "张建国" in form_text(client, recommended.id), username


def test_the_nomination_page_links_to_the_form(session, web, web_client, recommended):
    login(web_client, "unit1")
    page = web_client.get(f"/nominations/{recommended.id}").text
    link = re.search(r'<a [^>]*id="form-pdf-link"[^>]*>([^<]*)</a>', page)
    assert link is not None
    assert f'href="/nominations/{recommended.id}/form.pdf"' in link.group(0)
    assert link.group(1) == "打印推荐审批表"


# --- the opinions, level by level ----------------------------------------------------------


def test_each_level_fills_its_box_when_it_gives_its_opinion(session, web, web_client, recommended):
    login(web_client, "unit1")
    text = form_text(web_client, recommended.id)
    shown = boxes(text)
    # The unit signed when it recommended; its vote and notice are on the form.
    assert "同意推荐该同志。" in shown["推荐单位意见"]
    assert SIGNED_ON in shown["推荐单位意见"]
    for label, value in (("赞成票", "110"), ("到会人数", "120"), ("公示结果", "公示无异议")):
        assert f"{label}{value}" in text, label
    # The working committee has not given its opinion: its box is left for pen and seal.
    assert not signed(shown["工委审核意见"])
    assert "负责人签字：（盖章）" in shown["工委审核意见"]

    opinion = "同意推荐。该同志扎根一线,事迹突出,报区总工会审核。"
    fire(recommended, "forward", web.users["committee1"], data={"comment": opinion})
    session.commit()
    shown = boxes(form_text(web_client, recommended.id))
    assert opinion in shown["工委审核意见"]
    assert signed(shown["工委审核意见"]) and SIGNED_ON in shown["工委审核意见"]
    for level in LEVELS[2:]:
        assert not signed(shown[level]), level
        assert shown[level].strip() == "负责人签字：（盖章）" + BLANK_DATE, level


def test_a_resubmitted_form_starts_again_without_the_earlier_signatures(
    session, web, web_client, recommended
):
    u = web.users
    fire(recommended, "forward", u["committee1"], data={"comment": "同意报送。"})
    fire(recommended, "return_to_unit", u["federation"], data={"reason": "请补充职代会决议原件。"})
    session.commit()
    login(web_client, "unit1")
    text = form_text(web_client, recommended.id)
    # A return is a working note, never an opinion printed for signature.
    assert "请补充职代会决议原件" not in text
    assert "同意报送。" in boxes(text)["工委审核意见"]

    fire(recommended, "resubmit", u["unit1"], data={"comment": "已补充。"})
    session.commit()
    shown = boxes(form_text(web_client, recommended.id))
    # The committee reviews the new submission: its earlier signature no longer stands.
    assert "同意报送。" not in shown["工委审核意见"]
    assert not signed(shown["工委审核意见"])
    assert signed(shown["推荐单位意见"])


def test_the_decision_fills_the_last_box_and_objections_are_never_printed(
    clock, session, web, web_client, create_nomination_for
):
    n = create_nomination_for("unit1")
    walk_to_notice(n, web)
    u = web.users
    fire(n, "object", PUBLIC, data=dict(OBJECTION))
    fire(n, "request_verification", u["federation"], data=VERIFY)
    fire(n, "answer_objection", u["unit1"], data=ANSWER)
    fire(n, "dismiss_objection", u["federation"], data={"comment": "经核查,异议不成立。"})
    session.commit()
    login(web_client, "unit1")
    text = form_text(web_client, n.id)
    for secret in (
        "赵明",
        "13800138000",
        "安全生产事故",
        "人事档案",
        "李明",
        "党委副书记",
        "异议不成立",
    ):
        assert secret not in text, secret
    shown = boxes(text)
    assert "同意" in shown["工委审核意见"]
    assert "符合条件" in shown["区总工会初审意见"]
    assert "各部门无异议" in shown["征求有关部门意见"]
    assert "评审通过" in shown["评审委员会评审意见"]
    assert not signed(shown["审批意见"])

    apply_due_timers(session, n.timer_due_at)
    decision = {
        "decision_number": "京工发〔2026〕12号",
        "decision_date": DECIDED_ON,
        "comment": "同意授予首都劳动奖章。",
    }
    clock(DECIDED_AT)  # the decision follows the notice
    fire(n, "approve", u["approver"], data=decision, now=DECIDED_AT)
    session.commit()
    text = form_text(web_client, n.id)
    approval = boxes(text)["审批意见"]
    assert "同意授予首都劳动奖章。" in approval
    assert "表彰决定文号：京工发〔2026〕12号" in approval
    assert "2026年11月27日" in approval and signed(approval)
    assert BLANK_DATE not in text


# --- every kind of nominee, and languages --------------------------------------------------

UNIT = {
    "full_name": "北京朝阳热力有限公司",
    "credit_code": credit_code(UNITS[0]),
    "unit_type": "state_owned",
    "head": "郑国栋",
    "staff_count": 436,
    "has_union": True,
    "phone": "13910000000",
    "summary": "保障望京地区冬季供热。",
    "deeds": "保障望京地区冬季供热,累计节约标准煤一万余吨。",
}
TEAM = {
    "team_name": "北京朝阳热力有限公司运行一班",
    "team_type": "shift_team",
    "team_size": 12,
    "leader": "孙海燕",
    "phone": "13910000000",
    "summary": "三年零事故的运行班组。",
    "deeds": "三年零事故的运行班组,创新操作法五项。",
}


@pytest.mark.parametrize(
    ("kind", "data", "title", "shown"),
    [
        (
            "unit",
            UNIT,
            "2026年首都劳动奖状推荐审批表",
            ("单位全称北京朝阳热力有限公司", "单位类型国有企业", "职工人数436", "已建立工会是"),
        ),
        (
            "team",
            TEAM,
            "2026年北京市工人先锋号推荐审批表",
            ("集体名称北京朝阳热力有限公司运行一班", "集体类型班组", "集体人数12", "负责人孙海燕"),
        ),
    ],
)
def test_unit_and_team_forms_render_their_own_fields(
    session, web, web_client, create_nomination_for, kind, data, title, shown
):
    n = create_nomination_for("unit1", kind=kind, data=dict(data))
    fire(n, "recommend", web.users["unit1"], data=recommendation())
    session.commit()
    login(web_client, "unit1")
    response = get_form(web_client, n.id)
    name = data.get("full_name") or data["team_name"]
    assert quote(f"{title}-{name}.pdf", safe="") in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    assert title in text
    for pair in shown:
        assert pair in text, pair
    assert "姓名" not in text and "居民身份证号码" not in text
    assert signed(boxes(text)["推荐单位意见"])


def test_the_form_follows_the_language(session, web, web_client, recommended):
    login(web_client, "unit1")
    text = form_text(web_client, recommended.id, query_string={"lang": "en"})
    # Runs are joined without the spaces where lines wrapped: compare without spaces.
    words = text.replace(" ", "")
    for expected in (
        "Capital Labour Medal: nomination and approval form, 2026",
        "Resident ID number",
        "Working committee's opinion",
        "Page 1 of",
    ):
        assert expected.replace(" ", "") in words, expected
    assert "姓名" not in text and "页" not in text


# --- repeatable rows -----------------------------------------------------------------------

#: A repeatable field whose definition names no columns: they come from the rows' keys.
HONOURS = FieldDef(
    name="prior_honours",
    type="rows",
    label={"zh": "曾获荣誉", "en": "Prior honours"},
)


@dataclass(frozen=True)
class RowsDef(FieldDef):
    """A repeatable field with its columns defined (each a field definition of its own)."""

    columns: tuple[FieldDef, ...] = ()


def test_repeatable_rows_print_as_a_table(
    session, web, web_client, create_nomination_for, monkeypatch
):
    n = create_nomination_for("unit1")
    wf = engine.workflow_for(n)
    defn = wf.nominee_form
    fields = tuple(f for f in defn.fields if f.name != HONOURS.name)
    with_honours = FormDef(
        name=defn.name, title=defn.title, fields=(*fields, HONOURS), title_field="name"
    )
    monkeypatch.setattr(wf, "nominee_form", with_honours)
    n.data = {
        **n.data,
        "prior_honours": [
            {"title": "北京市劳动模范", "grantor": "北京市人民政府", "year": 2019},
            {"title": "朝阳区五一劳动奖章", "grantor": "朝阳区总工会", "year": 2016},
        ],
    }
    session.commit()
    login(web_client, "unit1")
    text = form_text(web_client, n.id)
    # The known keys in their order, under their labels, whatever order the database kept.
    assert "曾获荣誉荣誉称号授予单位年份" in text
    assert "北京市劳动模范北京市人民政府2019" in text
    assert "朝阳区五一劳动奖章朝阳区总工会2016" in text


def test_rows_are_shown_as_their_columns_define(app):
    level = FieldDef(
        name="level",
        type="choice",
        label={"zh": "级别", "en": "Level"},
        choices=(("city", {"zh": "省部级", "en": "Provincial"}),),
    )
    honours = RowsDef(
        name="honours",
        type="rows",
        label={"zh": "曾获荣誉", "en": "Prior honours"},
        columns=(
            FieldDef(name="year", type="integer", label={"zh": "年份", "en": "Year"}),
            level,
            FieldDef(name="on", type="date", label={"zh": "授予日期", "en": "Conferred on"}),
        ),
    )
    defn = FormDef(name="probe", title={"zh": "样表", "en": "Probe"}, fields=(honours,))
    rows = [{"on": "2019-04-28", "level": "city", "year": 2019, "note": "补"}, {"year": 2016}]
    with app.test_request_context():
        [printed] = printed_fields(defn, {"honours": rows})
    # The definition's columns in its order, then keys it does not name.
    assert printed.table.columns == ["年份", "级别", "授予日期", "note"]
    assert printed.table.rows == [["2019", "省部级", "2019年4月28日", "补"], ["2016", "", "", ""]]


def test_fields_are_laid_out_generically(app):
    defn = FormDef(
        name="probe",
        title={"zh": "样表", "en": "Probe"},
        fields=(
            FieldDef(name="a", type="text", label={"zh": "甲", "en": "A"}),
            FieldDef(name="b", type="boolean", label={"zh": "乙", "en": "B"}),
            FieldDef(name="c", type="rows", label={"zh": "丙", "en": "C"}),
            FieldDef(name="d", type="text", label={"zh": "丁", "en": "D"}),
            FieldDef(name="e", type="text", label={"zh": "戊", "en": "E"}),
            FieldDef(name="f", type="textarea", label={"zh": "己", "en": "F"}),
        ),
    )
    data = {
        "a": "一",
        "b": False,
        "c": [{"when": "2020", "prize": "奖", "year": 2020}, {"prize": "又一奖"}],
        "d": ["x", "y"],
    }
    with app.test_request_context():
        fields = printed_fields(defn, data)
        rows = grid(fields)
    by_label = {f.label: f for f in fields}
    assert by_label["乙"].value == "否"
    # Known keys come first under their labels, then the others by name (JSONB keeps no order).
    assert by_label["丙"].table.columns == ["年份", "prize", "when"]
    assert by_label["丙"].table.rows == [["2020", "奖", "2020"], ["", "又一奖", ""]]
    assert by_label["丁"].value == "x、y"
    # Two short fields share a row; a table or a long text takes a row of its own; empty stays.
    assert [[f.label for f in row] for row in rows] == [["甲", "乙"], ["丙"], ["丁", "戊"], ["己"]]
    assert by_label["戊"].value == "" and by_label["己"].wide
