"""Surname stroke order (姓氏笔画) for Chinese names, and name order for everything else.

A notice ordered by surname strokes puts names in the order of the stroke count of the
surname's characters, then of the given name's, character by character, as mainland lists
(按姓氏笔画为序) do. The counts are Unihan's ``kTotalStrokes``, whose first value is the count
for simplified Chinese (陈 7, 邓 4, 黄 11). ICU's own stroke collation (``zh@collation=stroke``)
is not used for the count because it counts by the Taiwan convention (阝 and 艹 as three and
four strokes: it puts 陈 among the 8-stroke and 蔡 among the 15-stroke characters); ICU breaks
ties between characters of the same count (by radical), and orders non-Chinese names with its
root collation, after every Chinese name.

Unihan is read from the file named by ``NOMINATION_UNIHAN_FILE`` (``Unihan.zip`` from
unicode.org, one of its ``Unihan_*.txt`` files, plain or compressed, or a folder holding them),
else from Debian's ``unicode-data`` package (``/usr/share/unicode``).
"""

from __future__ import annotations

import bz2
import functools
import gzip
import io
import os
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import icu
from flask import current_app, has_app_context

from nomination.errors import NotConfigured

#: Where the Unihan files are looked for when no file is configured.
DEFAULT_UNIHAN_PLACES = (
    "/usr/share/unicode",
    "/usr/local/share/unicode",
    "/opt/homebrew/share/unicode",
)

#: Compound surnames (复姓) recognised before a given name: those of the 百家姓 (Hundred Family
#: Surnames) still in use, leaving out the pairs of single surnames it lists side by side at its
#: end (仉督, 岳帅, 缑亢 …). A name that begins with one of them is ordered by that surname.
_COMPOUND_SURNAMES = (
    "万俟 司马 上官 欧阳 夏侯 诸葛 闻人 东方 赫连 皇甫 尉迟 公羊 澹台 公冶 宗政 濮阳 淳于 单于 "
    "太叔 申屠 公孙 仲孙 轩辕 令狐 钟离 宇文 长孙 慕容 鲜于 闾丘 司徒 司空 亓官 司寇 子车 颛孙 "
    "端木 巫马 公西 漆雕 乐正 壤驷 公良 拓跋 夹谷 宰父 谷梁 段干 百里 东郭 南门 呼延 羊舌 微生 "
    "梁丘 左丘 东门 西门 南宫 第五"
)
COMPOUND_SURNAMES = frozenset(_COMPOUND_SURNAMES.split())

_STROKES_LINE = re.compile(r"^U\+([0-9A-F]{4,6})\tkTotalStrokes\t(\d+)")


class StrokeDataMissing(NotConfigured):
    """The Unihan stroke counts were not found where they were looked for."""


def _unihan_candidates(configured: str | None) -> list[Path]:
    if configured:
        return [Path(configured)]
    return [Path(place) for place in DEFAULT_UNIHAN_PLACES]


def _text_lines(name: str, raw: bytes) -> Iterator[str]:
    if name.endswith(".bz2"):
        raw = bz2.decompress(raw)
    elif name.endswith(".gz"):
        raw = gzip.decompress(raw)
    yield from io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8")


def _unihan_lines(path: Path) -> Iterator[str]:
    """Yield the lines of the Unihan files at ``path`` (a file, a zip or a folder)."""
    if path.is_dir():
        # kTotalStrokes is in IRGSources since Unicode 13 (in DictionaryLikeData before).
        files = sorted(path.glob("Unihan*.txt*"), key=lambda p: "IRGSources" not in p.name)
        for file in files:
            yield from _unihan_lines(file)
        return
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                if member.endswith(".txt"):
                    yield from _text_lines(member, archive.read(member))
        return
    yield from _text_lines(path.name, path.read_bytes())


def _parse(lines: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in lines:
        if "kTotalStrokes" not in line:
            continue
        match = _STROKES_LINE.match(line)
        if match:
            # The first value is the simplified-Chinese (G source) count, the second Taiwan's.
            counts[chr(int(match.group(1), 16))] = int(match.group(2))
    return counts


@functools.cache
def _load(configured: str | None) -> dict[str, int]:
    for path in _unihan_candidates(configured):
        if path.exists():
            counts = _parse(_unihan_lines(path))
            if counts:
                return counts
    where = configured or ", ".join(DEFAULT_UNIHAN_PLACES)
    raise StrokeDataMissing(
        f"no Unihan stroke counts (kTotalStrokes) found in {where}: install the unicode-data "
        "package or set NOMINATION_UNIHAN_FILE to Unihan.zip from unicode.org"
    )


def stroke_counts() -> dict[str, int]:
    """Return the stroke count of every Han character Unihan knows (read once per file)."""
    if has_app_context():
        configured = current_app.config.get("UNIHAN_FILE")
    else:
        configured = os.environ.get("NOMINATION_UNIHAN_FILE")
    return _load(str(configured) if configured else None)


def strokes(character: str) -> int | None:
    """Return the number of strokes of one Han character (simplified count), or None."""
    return stroke_counts().get(character)


@functools.cache
def _collator(locale: str) -> icu.Collator:
    collator = icu.Collator.createInstance(icu.Locale(locale))
    collator.setStrength(icu.Collator.TERTIARY)
    return collator


def _icu_key(text: str, locale: str) -> str:
    # A sort key ends in a zero byte that occurs nowhere else in it: drop it, since the keys
    # are joined with separators of their own below.
    return bytes(_collator(locale).getSortKey(text)).rstrip(b"\0").hex()


def split_name(name: str) -> tuple[str, str]:
    """Return (surname, given name) of a Chinese name, recognising compound surnames."""
    name = _clean(name)
    if name[:2] in COMPOUND_SURNAMES:
        return name[:2], name[2:]
    return name[:1], name[1:]


def _clean(name: str) -> str:
    # Full-width letters and spaces typed into a name do not change its order.
    return "".join(unicodedata.normalize("NFKC", name).split())


def _characters_key(text: str) -> str:
    """Return a key ordering ``text`` by the strokes of each character, then by ICU."""
    counts = stroke_counts()
    parts = []
    for ch in text:
        count = counts.get(ch)
        if count is None:
            # A middle dot or a Latin letter inside a Chinese name: after every Han character.
            parts.append("999" + _icu_key(ch, "root"))
        else:
            parts.append(f"{count:03d}" + _icu_key(ch, "zh@collation=stroke"))
    # "," ends a character and sorts below the digits that begin the next one, so that a
    # shorter text comes first ("王" before "王一").
    return "".join(p + "," for p in parts)


def is_chinese_name(name: str) -> bool:
    """Return whether ``name`` begins with a Han character (Unihan gives its strokes)."""
    name = _clean(name)
    return bool(name) and name[0] in stroke_counts()


def person_key(name: str) -> str:
    """Return the key that puts people's names in surname stroke order.

    Chinese names come first, by the surname's strokes (a compound surname counts as one
    surname, after the single surname it begins with), then by the given name's; other names
    follow in ICU's root collation.
    """
    if not is_chinese_name(name):
        return "2" + _icu_key(_clean(name), "root")
    surname, given = split_name(name)
    # "+" closes the surname and sorts below any character's key: 欧 before 欧阳.
    return "1" + _characters_key(surname) + "+" + _characters_key(given)


def name_key(name: str) -> str:
    """Return the key that puts the names of units and teams in stroke order."""
    if not is_chinese_name(name):
        return "2" + _icu_key(_clean(name), "root")
    return "1" + _characters_key(_clean(name))
