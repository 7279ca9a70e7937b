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


def diagram(
    wf: Workflow, current: str | None = None, language: str = "zh", *, codes: bool = False
) -> graphviz.Digraph:
    """Return the workflow as a graph, with ``current`` highlighted.

    ``codes`` adds each state's name under its label, for those who write definitions.
    """
    g = graphviz.Digraph(
        pick(wf.title, language), graph_attr={"rankdir": "LR", "fontname": "Noto Sans CJK SC"}
    )
    g.attr("node", shape="box", style="rounded,filled", fontname="Noto Sans CJK SC", fontsize="11")
    g.attr("edge", fontname="Noto Sans CJK SC", fontsize="9")
    # For readers, nodes are named by their labels in the reader's language: the SVG's titles
    # (tooltips) show the names, so a state's code would leak into the page.
    names: dict[str, str] = {}
    for state in wf.states.values():
        label = pick(state.label, language)
        if codes:
            names[state.name] = state.name
        else:
            names[state.name] = label if label not in names.values() else f"{label} ({state.name})"
    for state in wf.states.values():
        colour = _BADGE_COLOURS.get(state.badge, "#6c757d")
        attrs = {"fillcolor": "#ffffff", "color": colour}
        if state.name == current:
            attrs.update(fillcolor=colour, fontcolor="#ffffff", penwidth="3")
        if state.terminal:
            attrs["peripheries"] = "2"
        label = pick(state.label, language)
        g.node(names[state.name], f"{label}\n{state.name}" if codes else label, **attrs)
    for t in wf.transitions:
        for source in t.sources:
            style = "dashed" if t.roles == ("system",) else "solid"
            g.edge(names[source], names[t.dest], label=pick(t.label, language), style=style)
    return g


def svg(
    wf: Workflow, current: str | None = None, language: str = "zh", *, codes: bool = False
) -> str:
    """Return the diagram as SVG text (needs Graphviz's ``dot`` program)."""
    return diagram(wf, current, language, codes=codes).pipe(format="svg").decode("utf-8")
