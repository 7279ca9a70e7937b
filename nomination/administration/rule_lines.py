"""Consultation rules as lines people can read and type, and back.

One rule a line: conditions, an arrow, the departments' codes. A condition is
``field=value,value``; a line with none applies to every nomination::

    -> CY-D-HR, CY-D-SAFE
    kind=individual category=cadre -> CY-D-DISC
"""

from __future__ import annotations

from typing import Any

from nomination.i18n import pick


def to_lines(rules: list[dict[str, Any]]) -> str:
    """Return ``rules`` as text, one rule a line."""
    lines = []
    for rule in rules:
        when = " ".join(f"{k}={','.join(map(str, v))}" for k, v in (rule.get("when") or {}).items())
        lines.append(f"{when} -> {', '.join(rule.get('departments', []))}".strip())
    return "\n".join(lines)


def from_lines(text: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Return the rules the text gives, and what is wrong with it, line by line."""
    rules: list[dict[str, Any]] = []
    problems: list[str] = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "->" not in line:
            problems.append(
                pick({"zh": f"第 {number} 行缺少 ->", "en": f"Line {number} has no ->"})
            )
            continue
        left, right = line.split("->", 1)
        when: dict[str, list[str]] = {}
        for part in left.split():
            key, sep, values = part.partition("=")
            if not sep or not key or not values:
                problems.append(
                    pick(
                        {
                            "zh": f"第 {number} 行的条件「{part}」应为 字段=值,值",
                            "en": f"Line {number}: the condition '{part}' is not field=value,value",
                        }
                    )
                )
                continue
            when[key] = [v for v in values.split(",") if v]
        departments = [code.strip() for code in right.replace(",", ",").split(",") if code.strip()]
        if not departments:
            problems.append(
                pick({"zh": f"第 {number} 行没有部门", "en": f"Line {number} names no department"})
            )
        rules.append({"when": when, "departments": departments})
    return rules, problems
