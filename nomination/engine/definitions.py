"""Workflow definitions (``workflows/*.toml``): loading, checking, hashing, pinning.

A definition is resolved (its ``extends`` parent merged, the forms it names included) into one
document whose SHA-256 is its version. Campaigns pin that version, so nominations in flight keep
the rules they started under even after the files change.
"""

from __future__ import annotations

import json
import tomllib
from collections import deque
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from transitions import Machine

from nomination.canonical import canonical_json, sha256_hex
from nomination.definitions.forms import DefinitionError, FormDef, load_form_raw, parse_form
from nomination.engine.registry import EFFECTS, FILE_GUARDS, GUARDS, run_effects
from nomination.models.archive import HONOUR_TYPES
from nomination.models.users import ROLES
from nomination.paths import data_dir, definition_folders

#: Roles a transition may name: the assignable ones, the public (no login) and timers.
TRANSITION_ROLES = (*ROLES, "public", "system")
#: What a state's tags tell the application, so that no module names a state (``tags = [...]``).
STATE_TAGS = {
    "notice": "the public notice (公示): on the board, open to objections",
    "objection_review": "an objection is under review: a further objection joins it",
    "unit_answers": "the unit answers an objection and may attach its answer",
    "unit_acts": "the unit must act: its submitters are told",
    "returned": "returned to the unit to revise",
    "revision": "a return's remarks are shown beside what changed since",
    "selection": "before the selection committee: judges read it; a round's result decides",
    "reserve": "a reserve (递补人选) waiting to move up",
}
#: What an award kind's nominee is: a person, a unit (legal person) or a team of a unit.
HOLDERS = ("person", "unit", "team")
#: The nominee fields a kind's form must have, by holder: the archive keeps a person by ID number.
HOLDER_FIELDS = {"person": {"id_number": "id_number"}}
#: The keys a workflow, a state and a transition may have; any other is a mistake to report.
WORKFLOW_KEYS = {
    "name", "title", "form", "initial", "holder", "honour_type", "position", "states",
    "transitions", "print_boxes", "forms", "state_order", "award", "files",
}  # fmt: skip
STATE_KEYS = {"label", "badge", "editable", "terminal", "quota", "timer", "tags"}
TRANSITION_KEYS = {
    "trigger", "source", "dest", "label", "roles", "form", "guards", "effects", "style",
}  # fmt: skip
#: The keys of a file the unit attaches (``[[files]]``).
FILE_KEYS = {"purpose", "label", "required_for"}
#: A file's purpose is stored in a column of this width.
PURPOSE_MAX_LENGTH = 32
#: Campaign settings a timer may take its length from.
TIMER_SETTINGS = ("notice_working_days", "resubmit_working_days", "objection_answer_working_days")


@dataclass(frozen=True)
class TimerDef:
    """Fire ``trigger`` when a number of working days has passed in a state."""

    trigger: str
    working_days: int | str

    def days(self, campaign: Any) -> int:
        """Return the number of working days, reading the campaign setting when named."""
        if isinstance(self.working_days, int):
            return self.working_days
        return int(getattr(campaign, self.working_days))


@dataclass(frozen=True)
class StateDef:
    """A state with its display metadata."""

    name: str
    label: dict[str, str]
    badge: str = "secondary"
    editable: bool = False
    terminal: bool = False
    #: Nominations in this state use up a working committee's quota.
    quota: bool = False
    timer: TimerDef | None = None
    #: What the state means to the application (keys of ``STATE_TAGS``).
    tags: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PrintBox:
    """A box of the printed form: one level's opinion, given by the transitions from ``states``."""

    key: str
    title: dict[str, str]
    states: frozenset[str]


@dataclass(frozen=True)
class FileDef:
    """A file the unit attaches for a purpose, and the transitions that cannot go without it."""

    purpose: str
    label: dict[str, str]
    required_for: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TransitionDef:
    """A transition: who may fire it from where, with which form, guards and effects."""

    trigger: str
    sources: tuple[str, ...]
    dest: str
    label: dict[str, str]
    roles: tuple[str, ...]
    form: str | None = None
    guards: tuple[str, ...] = ()
    effects: tuple[str, ...] = ()
    style: str = "primary"
    #: The purposes of the files that must be attached before it fires (from ``[[files]]``).
    required_files: tuple[str, ...] = ()


class Workflow:
    """A checked workflow definition, with its one shared ``transitions`` machine."""

    def __init__(
        self,
        *,
        name: str,
        title: dict[str, str],
        initial: str,
        states: dict[str, StateDef],
        transitions: list[TransitionDef],
        nominee_form: FormDef,
        forms: dict[str, FormDef],
        content: str,
        source: str,
        holder: str | None = None,
        honour_type: str | None = None,
        position: int = 100,
        print_boxes: tuple[PrintBox, ...] = (),
        award: dict[str, str] | None = None,
        files: tuple[FileDef, ...] = (),
    ):
        self.name = name
        #: The honour's own name (劳动奖章), a campaign's default name for the award; the
        #: title names the procedure (劳动奖章推荐).
        self.award = award or title
        #: The files the unit attaches, by purpose, in the definition's order.
        self.files = {f.purpose: f for f in files}
        #: What the nominee is (``HOLDERS``); None for a workflow that is no award kind.
        self.holder = holder
        #: The archive's type of the honour it confers (medal, certificate, pioneer …).
        self.honour_type = honour_type
        #: Where the kind comes in lists of award kinds.
        self.position = position
        self.print_boxes = print_boxes
        self.title = title
        self.initial = initial
        self.states = states
        self.transitions = transitions
        self.nominee_form = nominee_form
        self.forms = forms
        self.content = content
        self.hash = sha256_hex(content)
        self.source = source

    def released_states(self) -> set[str]:
        """Return the states in which a nomination holds no place in an allocation.

        Not yet put forward (the initial state), or ended without an award (terminal states
        that use no quota): withdrawn, rejected, lapsed, replaced.
        """
        ended = {s.name for s in self.states.values() if s.terminal and not s.quota}
        return {self.initial} | ended

    @property
    def is_award(self) -> bool:
        """Return whether this workflow is an award kind (it names what its nominee is)."""
        return self.holder is not None

    def states_tagged(self, tag: str) -> frozenset[str]:
        """Return the states that carry ``tag``."""
        return frozenset(s.name for s in self.states.values() if tag in s.tags)

    def tagged(self, state: str, tag: str) -> bool:
        """Return whether ``state`` carries ``tag``."""
        found = self.states.get(state)
        return found is not None and tag in found.tags

    def transitions_from(self, state: str) -> list[TransitionDef]:
        """Return the transitions leaving ``state``, in definition order."""
        return [t for t in self.transitions if state in t.sources]

    def transition(self, state: str, trigger: str) -> TransitionDef | None:
        """Return the transition ``trigger`` from ``state``, if there is one."""
        return next((t for t in self.transitions_from(state) if t.trigger == trigger), None)

    def state(self, name: str) -> StateDef:
        """Return the state called ``name``."""
        return self.states[name]

    @cached_property
    def machine(self) -> Machine:
        """Return the machine shared by every nomination on this version (never one per row)."""
        return Machine(
            model=None,
            states=list(self.states),
            initial=self.initial,
            transitions=[
                {"trigger": t.trigger, "source": list(t.sources), "dest": t.dest}
                for t in self.transitions
            ],
            auto_transitions=False,
            send_event=True,
            after_state_change=[run_effects],
        )


def _known_keys(source: str, entry: str, table: dict[str, Any], known: set[str]) -> None:
    """Refuse a key the definitions do not know (a misspelling would be silently ignored)."""
    unknown = sorted(set(table) - known)
    if unknown:
        raise _fail(source, entry, f"unknown key {unknown[0]!r}; known: {', '.join(sorted(known))}")


def _fail(source: str, entry: str, problem: str) -> DefinitionError:
    return DefinitionError(f"{source}: {entry}: {problem}")


def resolve_file(path: Path, forms_folder: Path | None = None) -> dict[str, Any]:
    """Read a workflow file, merge its ``extends`` parent and include the forms it names."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DefinitionError(f"{path}: {exc}") from None
    parent_name = raw.pop("extends", None)
    if parent_name:
        candidates = [path.parent, *definition_folders("workflows")]
        parent_path = next(
            (
                f / f"{parent_name}.toml"
                for f in candidates
                if (f / f"{parent_name}.toml").is_file()
            ),
            path.parent / f"{parent_name}.toml",
        )
        if not parent_path.is_file() or parent_path.resolve() == path.resolve():
            raise _fail(str(path), "extends", f"no workflow {parent_name!r} beside it")
        parent = resolve_file(parent_path, forms_folder)
        parent.pop("forms", None)
        # The honour's name is the kind's own: a kind on the medal's path is not the medal.
        parent.pop("award", None)
        raw = {**parent, **raw}
    form_names = {raw.get("form")} | {t.get("form") for t in raw.get("transitions", [])}
    forms: dict[str, Any] = {}
    for name in sorted(n for n in form_names if n):
        try:
            forms[name] = load_form_raw(name, forms_folder)
        except DefinitionError as exc:
            raise _fail(str(path), f"form {name!r}", str(exc)) from None
    raw["forms"] = forms
    # The canonical JSON that versions a definition sorts keys; keep the states' own order.
    raw["state_order"] = list(raw.get("states", {}))
    return raw


def parse_workflow(doc: dict[str, Any], source: str) -> Workflow:
    """Check a resolved definition and return the workflow; errors name the file and entry."""
    name = doc.get("name")
    if not isinstance(name, str):
        raise _fail(source, "name", "missing")
    forms = {n: parse_form(raw, f"{source} [form {n}]") for n, raw in doc.get("forms", {}).items()}
    if doc.get("form") not in forms:
        raise _fail(source, "form", "the nominee form is missing")
    _known_keys(source, "the workflow", doc, WORKFLOW_KEYS)

    states: dict[str, StateDef] = {}
    raw_states = doc.get("states", {})
    order = doc.get("state_order") or list(raw_states)
    for sname, s in ((name, raw_states[name]) for name in order if name in raw_states):
        entry = f"states.{sname}"
        _known_keys(source, entry, s, STATE_KEYS)
        if "label" not in s or not {"zh", "en"} <= set(s["label"]):
            raise _fail(source, entry, "label needs zh and en")
        timer = None
        if "timer" in s:
            wd = s["timer"].get("working_days")
            if not (isinstance(wd, int) and wd > 0) and wd not in TIMER_SETTINGS:
                raise _fail(
                    source,
                    f"{entry}.timer",
                    f"working_days must be a positive number or one of {', '.join(TIMER_SETTINGS)}",
                )
            timer = TimerDef(trigger=s["timer"].get("trigger", ""), working_days=wd)
        tags = s.get("tags", [])
        if not isinstance(tags, list) or any(t not in STATE_TAGS for t in tags):
            raise _fail(
                source, f"{entry}.tags", f"tags must be a list of: {', '.join(sorted(STATE_TAGS))}"
            )
        states[sname] = StateDef(
            name=sname,
            label=s["label"],
            badge=s.get("badge", "secondary"),
            editable=bool(s.get("editable", False)),
            terminal=bool(s.get("terminal", False)),
            quota=bool(s.get("quota", False)),
            timer=timer,
            tags=frozenset(tags),
        )
    initial = doc.get("initial")
    if initial not in states:
        raise _fail(source, "initial", f"unknown state {initial!r}")

    files = _parse_files(doc, source)
    triggers = {t.get("trigger") for t in doc.get("transitions", [])}
    for f in files:
        for trigger in sorted(f.required_for - triggers):
            raise _fail(source, f"files ({f.purpose})", f"required_for: no transition {trigger!r}")

    transitions: list[TransitionDef] = []
    for i, t in enumerate(doc.get("transitions", [])):
        entry = f"transitions[{i}] ({t.get('trigger', '?')})"
        _known_keys(source, entry, t, TRANSITION_KEYS)
        sources = t.get("source", [])
        sources = [sources] if isinstance(sources, str) else sources
        if not t.get("trigger") or not str(t["trigger"]).isidentifier():
            raise _fail(source, entry, "a transition needs a trigger that is an identifier")
        for s in [*sources, t.get("dest")]:
            if s not in states:
                raise _fail(source, entry, f"unknown state {s!r}")
        if not sources:
            raise _fail(source, entry, "no source state")
        for role in t.get("roles", []):
            if role not in TRANSITION_ROLES:
                raise _fail(source, entry, f"unknown role {role!r}")
        if not t.get("roles"):
            raise _fail(source, entry, "no role may fire it")
        for g in t.get("guards", []):
            if g not in GUARDS:
                raise _fail(source, entry, f"unknown guard {g!r}")
        for e in t.get("effects", []):
            if e not in EFFECTS:
                raise _fail(source, entry, f"unknown effect {e!r}")
        if t.get("form") and t["form"] not in forms:
            raise _fail(source, entry, f"unknown form {t['form']!r}")
        if "label" not in t or not {"zh", "en"} <= set(t["label"]):
            raise _fail(source, entry, "label needs zh and en")
        for s in sources:
            if any(s in o.sources and o.trigger == t["trigger"] for o in transitions):
                raise _fail(source, entry, f"trigger {t['trigger']!r} already leaves {s!r}")
        required = tuple(f.purpose for f in files if t["trigger"] in f.required_for)
        if required and not FILE_GUARDS & set(t.get("guards", [])):
            # Named by a file but checked by nothing, the requirement would be a silent wish.
            raise _fail(
                source,
                entry,
                "files are required_for it but none of its guards checks files; add one of: "
                + ", ".join(sorted(FILE_GUARDS)),
            )
        transitions.append(
            TransitionDef(
                trigger=t["trigger"],
                sources=tuple(sources),
                dest=t["dest"],
                label=t["label"],
                roles=tuple(t["roles"]),
                form=t.get("form"),
                guards=tuple(t.get("guards", [])),
                effects=tuple(t.get("effects", [])),
                style=t.get("style", "primary"),
                required_files=required,
            )
        )

    for sname, s in states.items():
        exits = [t for t in transitions if sname in t.sources]
        if s.terminal and exits:
            raise _fail(source, f"states.{sname}", "a terminal state has transitions leaving it")
        if not s.terminal and not exits:
            raise _fail(source, f"states.{sname}", "dead end: no transition leaves it")
        if s.timer and not any(t.trigger == s.timer.trigger and "system" in t.roles for t in exits):
            raise _fail(
                source,
                f"states.{sname}.timer",
                f"no transition {s.timer.trigger!r} for the system role leaves this state",
            )
    reached = {initial}
    queue = deque([initial])
    while queue:
        current = queue.popleft()
        for t in transitions:
            if current in t.sources and t.dest not in reached:
                reached.add(t.dest)
                queue.append(t.dest)
    for sname in states:
        if sname not in reached:
            raise _fail(source, f"states.{sname}", f"unreachable from {initial!r}")

    holder = doc.get("holder")
    if holder is not None and holder not in HOLDERS:
        raise _fail(source, "holder", f"must be one of {', '.join(HOLDERS)}")
    nominee_form = forms[doc["form"]]
    for field, kind in HOLDER_FIELDS.get(holder or "", {}).items():
        found = nominee_form.field(field)
        if found is None or found.type != kind or not found.required:
            raise _fail(
                source,
                f"form {doc['form']!r}",
                f"a {holder}'s form needs the required field {field!r} of type {kind!r}",
            )
    if holder is not None and not nominee_form.title_field:
        raise _fail(source, f"form {doc['form']!r}", "an award's form needs a title_field")
    honour_type = doc.get("honour_type")
    if honour_type is not None and honour_type not in HONOUR_TYPES:
        raise _fail(source, "honour_type", f"must be one of {', '.join(HONOUR_TYPES)}")
    award = doc.get("award")
    if award is not None and not (isinstance(award, dict) and {"zh", "en"} <= set(award)):
        raise _fail(source, "award", "needs zh and en")
    position = doc.get("position", 100)
    if not isinstance(position, int):
        raise _fail(source, "position", "must be a whole number")
    boxes = []
    for i, b in enumerate(doc.get("print_boxes", [])):
        entry = f"print_boxes[{i}]"
        if not b.get("key") or not {"zh", "en"} <= set(b.get("title", {})):
            raise _fail(source, entry, "a box needs a key and a title in zh and en")
        for sname in b.get("states", []):
            if sname not in states:
                raise _fail(source, entry, f"unknown state {sname!r}")
        boxes.append(PrintBox(key=b["key"], title=b["title"], states=frozenset(b["states"])))

    return Workflow(
        name=name,
        holder=holder,
        honour_type=honour_type,
        position=position,
        print_boxes=tuple(boxes),
        award=award,
        files=tuple(files),
        title=doc.get("title", {"zh": name, "en": name}),
        initial=initial,
        states=states,
        transitions=transitions,
        nominee_form=forms[doc["form"]],
        forms=forms,
        content=canonical_json(doc),
        source=source,
    )


def _parse_files(doc: dict[str, Any], source: str) -> list[FileDef]:
    """Return the ``[[files]]`` the unit attaches, each checked."""
    raw = doc.get("files", [])
    if not isinstance(raw, list):
        raise _fail(source, "files", "must be a list of tables ([[files]])")
    files: list[FileDef] = []
    for i, f in enumerate(raw):
        entry = f"files[{i}]"
        if not isinstance(f, dict):
            raise _fail(source, entry, "must be a table")
        _known_keys(source, entry, f, FILE_KEYS)
        purpose = f.get("purpose")
        if (
            not isinstance(purpose, str)
            or not purpose.isidentifier()
            or len(purpose) > PURPOSE_MAX_LENGTH
        ):
            raise _fail(
                source,
                entry,
                f"purpose must be an identifier of at most {PURPOSE_MAX_LENGTH} characters",
            )
        if any(other.purpose == purpose for other in files):
            raise _fail(source, entry, f"purpose {purpose!r} is listed twice")
        label = f.get("label")
        if not isinstance(label, dict) or not {"zh", "en"} <= set(label):
            raise _fail(source, entry, "label needs zh and en")
        required_for = f.get("required_for", [])
        if not isinstance(required_for, list) or not all(isinstance(t, str) for t in required_for):
            raise _fail(source, entry, "required_for must be a list of triggers")
        files.append(FileDef(purpose, dict(label), frozenset(required_for)))
    return files


def workflows_dir() -> Path:
    """Return the folder of workflow definitions."""
    return data_dir("workflows")


def load_file(path: Path, forms_folder: Path | None = None) -> Workflow:
    """Load and check one workflow file."""
    return parse_workflow(resolve_file(path, forms_folder), str(path))


def workflow_files() -> list[Path]:
    """Return the workflow files: the deployment's, then the packaged ones it does not replace."""
    files: dict[str, Path] = {}
    for folder in definition_folders("workflows"):
        for path in sorted(folder.glob("*.toml")):
            files.setdefault(path.name, path)
    return sorted(files.values(), key=lambda p: p.name)


def load_all(folder: Path | None = None, forms_folder: Path | None = None) -> dict[str, Workflow]:
    """Load and check every workflow file in ``folder`` (default: every folder), by name."""
    out: dict[str, Workflow] = {}
    paths = sorted(folder.glob("*.toml")) if folder else workflow_files()
    for path in paths:
        wf = load_file(path, forms_folder)
        if wf.name in out:
            raise _fail(str(path), "name", f"{wf.name!r} is also defined in {out[wf.name].source}")
        out[wf.name] = wf
    return out


def from_content(content: str, source: str, today: Workflow | None = None) -> Workflow:
    """Rebuild a workflow from the canonical JSON stored when it was pinned.

    A version pinned before definitions said what their kind holds and what their states mean
    takes that from ``today``'s file of the same name (its hash, from the stored text, stays).
    """
    doc = json.loads(content)
    if today is not None and "holder" not in doc and today.holder is not None:
        doc = _with_meaning_of(doc, today)
    if today is not None and "files" not in doc and today.files:
        # Pinned before files were defined: the unit attaches today's kinds of file, and the
        # version requires none of them (its nominations keep the rules they started under).
        doc = {
            **doc,
            "files": [{"purpose": f.purpose, "label": f.label} for f in today.files.values()],
        }
    return parse_workflow(doc, source)


def _with_meaning_of(doc: dict[str, Any], today: Workflow) -> dict[str, Any]:
    """Return ``doc`` with the kind's holder, states' tags and print boxes of ``today``."""
    doc = {**doc, "holder": today.holder, "honour_type": today.honour_type}
    doc["position"] = today.position
    states = doc.get("states", {})
    doc["states"] = {
        name: {**s, "tags": sorted(today.states[name].tags)} if name in today.states else s
        for name, s in states.items()
    }
    doc["print_boxes"] = [
        {"key": b.key, "title": b.title, "states": sorted(b.states & set(states))}
        for b in today.print_boxes
    ]
    return doc
