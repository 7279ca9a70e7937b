"""What changed in a text, as people read it: the changed words marked, long unchanged text cut.

Chinese has no spaces between words, so the text is compared in tokens: a run of Latin letters
or digits stays whole (a number or an English word changes as one), every other character —
each Chinese character, punctuation mark or space — is a token of its own. The comparison is
the standard library's ``difflib.SequenceMatcher``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

#: A run of Latin letters or digits, or any one other character (newlines included).
_TOKEN = re.compile(r"[A-Za-z0-9]+|.", re.DOTALL)
#: Unchanged text longer than this is cut to its context on either side of a change.
LONG = 60
#: How much unchanged text is kept beside a change, in characters.
CONTEXT = 20
#: An unchanged run this short between two changes joins them (a lone 的 is not a match).
_GLUE = 1


@dataclass(frozen=True)
class Piece:
    """A piece of a text's diff: ``same``, ``removed``, ``added`` or ``elided`` (cut, unchanged)."""

    kind: str
    text: str


def tokens(text: str) -> list[str]:
    """Return ``text`` split into the tokens it is compared in."""
    return _TOKEN.findall(text)


def _runs(before: str, after: str) -> list[tuple[str, str, str]]:
    """Return (kind, old, new) runs: ``same`` runs hold the text in both, ``change`` runs not."""
    a, b = tokens(before), tokens(after)
    runs: list[tuple[str, str, str]] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        old, new = "".join(a[i1:i2]), "".join(b[j1:j2])
        runs.append(("same" if op == "equal" else "change", old, new))
    # A change split by one matching character reads as one change.
    glued: list[tuple[str, str, str]] = []
    for i, run in enumerate(runs):
        between = 0 < i < len(runs) - 1 and runs[i + 1][0] == "change"
        kind = run[0]
        if kind == "same" and between and len(run[1]) <= _GLUE and glued[-1][0] == "change":
            kind = "change"
        if kind == "change" and glued and glued[-1][0] == "change":
            _, old, new = glued.pop()
            glued.append(("change", old + run[1], new + run[2]))
        else:
            glued.append((kind, run[1], run[2]))
    return glued


def inline_diff(
    before: str, after: str, *, long: int = LONG, context: int = CONTEXT
) -> list[Piece]:
    """Return the pieces that show ``before`` becoming ``after``, long unchanged text elided."""
    runs = _runs(before or "", after or "")
    pieces: list[Piece] = []
    for i, (kind, old, new) in enumerate(runs):
        if kind == "change":
            if old:
                pieces.append(Piece("removed", old))
            if new:
                pieces.append(Piece("added", new))
            continue
        if len(old) <= long:
            pieces.append(Piece("same", old))
            continue
        # Keep the context beside the changes on either side; the middle is cut.
        head = old[:context] if i > 0 else ""
        tail = old[-context:] if i < len(runs) - 1 else ""
        if head:
            pieces.append(Piece("same", head))
        pieces.append(Piece("elided", old[len(head) : len(old) - len(tail)]))
        if tail:
            pieces.append(Piece("same", tail))
    return pieces


def changed_characters(pieces: list[Piece]) -> int:
    """Return how many characters were removed or added."""
    return sum(len(p.text) for p in pieces if p.kind in ("removed", "added"))


def shown_length(pieces: list[Piece]) -> int:
    """Return how many characters the diff shows (elided text counts as one)."""
    return sum(1 if p.kind == "elided" else len(p.text) for p in pieces)
