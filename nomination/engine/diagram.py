"""Workflow diagrams drawn with Graphviz (``dot``)."""

from __future__ import annotations

import graphviz

from nomination.engine.definitions import Workflow
from nomination.i18n import pick

_BADGE_COLOURS = {
    "secondary": "#6c757d",
    "info": "#0dcaf0",
    "warning": "#ffc107",
    "primary": "#0d6efd",
    "danger": "#dc3545",
    "success": "#198754",
    "dark": "#212529",
    "light": "#adb5bd",
}


def diagram(wf: Workflow, current: str | None = None, language: str = "zh") -> graphviz.Digraph:
    """Return the workflow as a graph, with ``current`` highlighted."""
    g = graphviz.Digraph(wf.name, graph_attr={"rankdir": "LR", "fontname": "Noto Sans CJK SC"})
    g.attr("node", shape="box", style="rounded,filled", fontname="Noto Sans CJK SC", fontsize="11")
    g.attr("edge", fontname="Noto Sans CJK SC", fontsize="9")
    for state in wf.states.values():
        colour = _BADGE_COLOURS.get(state.badge, "#6c757d")
        attrs = {"fillcolor": "#ffffff", "color": colour}
        if state.name == current:
            attrs.update(fillcolor=colour, fontcolor="#ffffff", penwidth="3")
        if state.terminal:
            attrs["peripheries"] = "2"
        g.node(state.name, f"{pick(state.label, language)}\n{state.name}", **attrs)
    for t in wf.transitions:
        for source in t.sources:
            style = "dashed" if t.roles == ("system",) else "solid"
            g.edge(source, t.dest, label=pick(t.label, language), style=style)
    return g


def svg(wf: Workflow, current: str | None = None, language: str = "zh") -> str:
    """Return the diagram as SVG text (needs Graphviz's ``dot`` program)."""
    return diagram(wf, current, language).pipe(format="svg").decode("utf-8")
