"""What the areas lend the engine: named guards and effects, and the services it calls.

The engine imports no area. At start-up (:func:`nomination.app.connect_areas`) the areas
register the guards and effects the definitions name, and provide the audit journal, the rule
for the role in which an actor fires, and the working-day calendar.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from nomination.calendar.workdays import WorkCalendar
    from nomination.engine.definitions import TransitionDef, Workflow
    from nomination.models import Nomination


@dataclass
class Context:
    """What a guard or effect may look at: the nomination, who acts, the form data, the time."""

    session: Session
    nomination: Nomination
    actor: Any
    role: str
    transition: TransitionDef
    workflow: Workflow
    data: dict[str, Any]
    now: datetime
    calendar: WorkCalendar
    #: True inside ``fire``; False when ``available`` only asks (guards must not lock then).
    firing: bool = False
    #: Effects may add notes for the audit event (e.g. the archive record they created).
    notes: dict[str, Any] = field(default_factory=dict)
    #: Effects may set the length, in working days, of the entered state's timer instead of
    #: the definition's (e.g. a notice resuming with the days it had left).
    timer_working_days: int | None = None

    @property
    def subject(self) -> Any:
        """Return what the transition moves: a nomination, or an archive case."""
        return self.nomination


def refusal(zh: str, en: str) -> dict[str, str]:
    """Return a guard's reason for refusing, in both languages."""
    return {"zh": zh, "en": en}


#: A guard returns None when the transition may happen, or the reason (zh, en) it may not.
Guard = Callable[[Context], "dict[str, str] | None"]
Effect = Callable[[Context], None]

GUARDS: dict[str, Guard] = {}
EFFECTS: dict[str, Effect] = {}
#: Guards that judge the transition's own form data: ``available`` cannot judge them before
#: the form is filled in, so only ``fire`` runs them.
FORM_GUARDS: set[str] = set()


#: Guards that check the files a transition requires (``TransitionDef.required_files``).
FILE_GUARDS: set[str] = set()


#: What each guard checks, as people read it in a checklist (zh and en).
GUARD_LABELS: dict[str, dict[str, str]] = {}


@dataclass(frozen=True)
class Condition:
    """One condition a guard checks, on its own line of the checklist: ``key`` names it."""

    key: str
    label: dict[str, str]
    met: bool


#: A guard's conditions, each met or not, for the checklist (guards that check several things).
Conditions = Callable[[Context], "list[Condition]"]
GUARD_CONDITIONS: dict[str, Conditions] = {}


def guard(
    name: str,
    *,
    uses_form: bool = False,
    label: dict[str, str] | None = None,
    checks_files: bool = False,
    conditions: Conditions | None = None,
) -> Callable[[Guard], Guard]:
    """Register a guard under ``name``; ``uses_form`` if it reads the transition's form.

    ``label`` says what it checks, for the checklist shown before a transition;
    ``conditions`` lists the separate things it checks, each met or not; ``checks_files`` if
    it checks the transition's required files.
    """

    def register(fn: Guard) -> Guard:
        GUARDS[name] = fn
        if uses_form:
            FORM_GUARDS.add(name)
        if checks_files:
            FILE_GUARDS.add(name)
        if label:
            GUARD_LABELS[name] = label
        if conditions is not None:
            GUARD_CONDITIONS[name] = conditions
        return fn

    return register


@dataclass
class Services:
    """The engine's services, provided by the areas once per process."""

    #: Appends the audit event of a transition (``nomination.audit.chain.append_event``).
    journal: Callable[..., Any] | None = None
    #: The role in which an actor may fire a transition on a subject, or None.
    firing_role: Callable[[Any, Any, TransitionDef], str | None] | None = None
    #: The working-day calendar in force.
    calendar: Callable[[], WorkCalendar] | None = None

    @property
    def connected(self) -> bool:
        """Return whether every service has been provided."""
        return None not in (self.journal, self.firing_role, self.calendar)


SERVICES = Services()


def provide(**services: Callable[..., Any]) -> None:
    """Provide the engine's services by name (see :class:`Services`)."""
    for name, fn in services.items():
        if not hasattr(SERVICES, name):
            raise TypeError(f"the engine has no service {name!r}")
        setattr(SERVICES, name, fn)


def service(name: str) -> Callable[..., Any]:
    """Return the provided service ``name``; fail clearly when the areas were not connected."""
    fn = getattr(SERVICES, name)
    if fn is None:
        raise RuntimeError(
            f"the engine's {name!r} service is not provided: call "
            "nomination.app.connect_areas() (create_app does) before using the engine"
        )
    return fn


def effect(name: str) -> Callable[[Effect], Effect]:
    """Register an effect under ``name``."""

    def register(fn: Effect) -> Effect:
        EFFECTS[name] = fn
        return fn

    return register


def run_effects(event: Any) -> None:
    """Run the effects a transition names; called by the shared machine after the change."""
    ctx: Context = event.kwargs["ctx"]
    for name in ctx.transition.effects:
        EFFECTS[name](ctx)
