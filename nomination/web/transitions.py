"""Firing a transition from its posted form: one path for nominations, revocation and verification.

Each blueprint keeps its own loading (with its scope checks), its page and where it goes after;
this module holds what lies between: finding the transition, validating its form, calling the
operation, and turning a refusal (a conflict, invalid data, a blocked guard) into the page again
with what was typed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from flask import abort, flash, redirect
from flask.typing import ResponseReturnValue
from wtforms import Form

from nomination import engine
from nomination.definitions.forms import clean_data, form_class
from nomination.engine.definitions import TransitionDef, Workflow
from nomination.errors import Conflict, GuardBlocked, InvalidData
from nomination.i18n import pick
from nomination.models import ArchiveCase, Nomination, User
from nomination.permissions import can_fire
from nomination.web.forms import VersionedForm, with_version
from nomination.web.outcomes import operation_errors
from nomination.web.setup import tr

#: Fits a transition's form to the workflow it is shown in (which remarks it offers).
Fit = Callable[[VersionedForm, Workflow, TransitionDef], VersionedForm]


@dataclass
class Posted:
    """A transition form the user submitted, shown again with its errors and what they typed."""

    trigger: str
    label: str
    form: Form
    #: Every guard as judged when it was submitted, when they refused it: the checklist then
    #: marks which condition failed (those of the form included).
    checks: tuple[engine.Check, ...] = ()

    def judged(self, option: engine.Available) -> engine.Available:
        """Return ``option`` with the checks judged on submitting, if it is the one posted."""
        if self.checks and option.transition.trigger == self.trigger:
            return replace(option, checks=self.checks)
        return option


def transition_form_class(wf: Workflow, transition: TransitionDef) -> type[VersionedForm]:
    """Return the form class of ``transition``: its definition's fields and the version."""
    if transition.form:
        return form_class(wf.forms[transition.form], strict=True, base=VersionedForm)
    return VersionedForm


def fire_posted(
    record: Nomination | ArchiveCase,
    trigger: str,
    *,
    user: User,
    fit: Fit,
    operation: Callable[..., Any],
    render: Callable[..., ResponseReturnValue],
    conflict_message: Callable[[Any, Workflow], str],
    done_url: str,
) -> ResponseReturnValue:
    """Fire ``trigger`` on ``record`` with the posted form; on refusal ``render`` the page again.

    ``operation`` is the business action (``transition_nomination``, ``transition_case``),
    called as ``operation(record, actor=, trigger=, version=, data=)``; ``render`` is the view's
    page, called as ``render(record, posted=, alerts=, reasons=, status=)``.
    """
    wf = engine.workflow_for(record)
    transition = wf.transition(record.state, trigger)
    known = transition or next((t for t in wf.transitions if t.trigger == trigger), None)
    if known is None:
        abort(404, tr("没有这个操作", "No such action"))
    form = fit(transition_form_class(wf, known)(), wf, known)
    posted = Posted(trigger, pick(known.label), form)

    def conflict() -> ResponseReturnValue:
        # Show the record as it is now; the next submission is a decision on that.
        posted.form = fit(with_version(form, record.version), wf, known)
        return render(record, posted=posted, alerts=[conflict_message(record, wf)], status=409)

    if transition is None or form.version.data not in (None, record.version):
        # The record moved on since the page was read (perhaps where this user has no say).
        return conflict()
    if not can_fire(user, record, transition):
        abort(403, tr("您不能执行此操作", "You may not do this"))
    if not form.validate():
        return render(record, posted=posted, status=422)
    data = clean_data(wf.forms[transition.form], form) if transition.form else None
    with operation_errors(form, catch=(InvalidData, Conflict, GuardBlocked)) as outcome:
        operation(record, actor=user, trigger=trigger, version=form.version.data, data=data)
    if outcome.conflict:
        return conflict()
    if outcome.invalid:
        return render(record, posted=posted, alerts=outcome.alerts, status=422)
    if outcome.refused:  # a guard blocked it
        assert outcome.error is not None
        judged = outcome.error.extra.get("checks") or ()
        posted.checks = tuple(engine.Check.from_json(c) for c in judged)
        return render(record, posted=posted, reasons=outcome.reasons, status=422)
    now = wf.state(record.state).label
    flash(
        tr(
            f"已执行:{pick(transition.label, 'zh')}。当前状态:{pick(now, 'zh')}",
            f"Done: {pick(transition.label, 'en')}. Now: {pick(now, 'en')}",
        ),
        "success",
    )
    return redirect(done_url)
