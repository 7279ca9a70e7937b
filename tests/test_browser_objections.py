"""In the browser: an objection sent too fast keeps its file; the receipt is in plain words.

Before, the first, too-fast submission dropped the file, the form came back without it and the
second submission was received with no evidence at all.
"""

from __future__ import annotations

import sqlite3

import pytest
import test_browser_journey as journey
from test_browser_journey import ARTIFACTS, CHROMIUM

# The journey's module fixtures: a demo served for this module alone, and the browser.
server = journey.server
browser = journey.browser

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)"
)


def test_a_file_sent_too_fast_is_kept_and_filed(server, browser, tmp_path):
    url, instance = server
    ARTIFACTS.mkdir(exist_ok=True)
    with sqlite3.connect(instance / "nomination.sqlite3") as conn:
        (nomination_id, name) = conn.execute(
            "SELECT id, nominee_name FROM nomination WHERE state = 'public_notice' "
            "ORDER BY id LIMIT 1"
        ).fetchone()
    evidence = tmp_path / "证明材料.png"
    from PIL import Image

    Image.new("RGB", (64, 48), (40, 40, 180)).save(evidence)

    public = browser.new_context(locale="zh-CN").new_page()
    public.goto(f"{url}/notices/")
    public.click(f'[data-notice="{nomination_id}"] a[href$="/object"]')
    public.fill('[name="objector_name"]', "孙立新")
    public.fill('[name="objector_phone"]', "13801234567")
    public.fill('[name="objector_address"]', "北京市海淀区中关村南大街5号")
    public.fill('[name="facts"]', f"{name}同志申报材料中的获奖情况与实际不符,请核实。")
    public.set_input_files('[name="evidence"]', str(evidence))
    # Sent at once: refused as too fast, but the file was received and is listed as kept. (On
    # a busy machine filling in takes seconds: the form instance sent is one just shown.)
    shown = public.request.get(public.url).text()
    issued = shown.split('name="issued" type="hidden" value="')[1].split('"')[0]
    public.locator('[name="issued"]').evaluate("(e, v) => { e.value = v; }", issued)
    with public.expect_navigation():
        public.click('#objection-form button[type="submit"]')
    assert "提交过快" in public.locator(".alert").first.inner_text()
    assert "证明材料.png" in public.locator("#kept-files").inner_text()
    assert public.input_value('[name="facts"]').startswith(name)
    public.screenshot(path=str(ARTIFACTS / "objection-too-fast.png"), full_page=True)

    # A person reads it again and sends it, without choosing the file again.
    public.wait_for_timeout(3200)
    with public.expect_navigation():
        public.click('#objection-form button[type="submit"]')
    reference = public.locator("#objection-reference").inner_text()
    assert name in public.locator("#receipt-what").inner_text()
    assert "个工作日" in public.locator("#receipt-next").inner_text()
    # The proof is there for experts, closed until asked for.
    proof = public.locator("#technical-receipt")
    if proof.count():
        assert proof.get_attribute("open") is None
        assert not public.locator("#receipt-download").is_visible()
        proof.locator("summary").click()
        assert public.locator("#receipt-download").is_visible()
    public.screenshot(path=str(ARTIFACTS / "objection-receipt.png"), full_page=True)
    public.context.close()

    with sqlite3.connect(instance / "nomination.sqlite3") as conn:
        files = conn.execute(
            "SELECT a.filename FROM attachment a JOIN objection o ON a.objection_id = o.id "
            "WHERE o.reference = ?",
            (reference,),
        ).fetchall()
    assert files == [("证明材料.png",)]
