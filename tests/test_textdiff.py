"""What changed in a text: Chinese compared by characters, Latin words and numbers whole."""

from __future__ import annotations

from nomination.web.textdiff import Piece, inline_diff, shown_length


def test_chinese_changes_are_marked_by_character_and_numbers_whole():
    pieces = inline_diff("热力集团 班长,2023年", "北京热力集团 班组长,2025年")
    assert Piece("added", "北京") in pieces and Piece("added", "组") in pieces
    # A number changes as one, not digit by digit.
    assert Piece("removed", "2023") in pieces and Piece("added", "2025") in pieces
    assert "".join(p.text for p in pieces if p.kind != "removed") == "北京热力集团 班组长,2025年"


def test_long_unchanged_text_is_cut_to_the_context_of_the_change():
    before = "甲" * 300 + "完成改造" + "乙" * 300
    after = "甲" * 300 + "完成智能化改造" + "乙" * 300
    pieces = inline_diff(before, after)
    assert [p.kind for p in pieces] == ["elided", "same", "added", "same", "elided"]
    assert Piece("added", "智能化") in pieces
    assert shown_length(pieces) < 60
    # Nothing is lost: the pieces still hold the whole text.
    assert "".join(p.text for p in pieces if p.kind != "removed") == after


def test_a_lone_matching_character_does_not_split_a_rewrite():
    pieces = inline_diff("他的技术好", "她的管理强")
    assert [p.kind for p in pieces] == ["removed", "added"]
