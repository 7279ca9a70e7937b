"""What the workflows' effects keep with a nomination or an archive case (its ``evidence``).

The column is JSON; these types say what each key holds, and these functions are the one way to
read and write them, so that no module parses the dictionary by key on its own.
"""

from __future__ import annotations

from typing import Any, Protocol, TypedDict, cast


class Opinion(TypedDict, total=False):
    """One level's opinion (意见): who, in which role, when, on which transition, what."""

    role: str
    by: str
    at: str
    trigger: str
    text: str
    #: What must change, by field of the nominee form (a return).
    field_remarks: dict[str, str]


class NoticePause(TypedDict):
    """When an objection interrupted the notice, and the working days it had left."""

    at: str
    working_days_left: int


class VerificationAnswer(TypedDict):
    """The unit's answer to a verification request, signed by its leader in charge."""

    answered_at: str
    answered_by: str
    finding: str
    opinion: str
    leader_name: str
    leader_post: str


class VerificationRequest(TypedDict, total=False):
    """The federation's request to the unit: what to verify, by when; and its answer."""

    requested_at: str
    requested_by: str
    questions: str
    due_at: str
    working_days: int
    provisional: bool
    answer: VerificationAnswer


class Evidence(TypedDict, total=False):
    """Every key the effects write."""

    #: The recommend form's data: the workers' congress vote and the unit's notice.
    unit_recommendation: dict[str, Any]
    opinions: list[Opinion]
    notice_paused: NoticePause
    verifications: list[VerificationRequest]
    #: An archive case's decision (revocation).
    decision: dict[str, Any]


class HasEvidence(Protocol):
    """A nomination or an archive case."""

    evidence: dict[str, Any]


def of(subject: HasEvidence) -> Evidence:
    """Return the subject's evidence, typed (empty when there is none)."""
    return cast(Evidence, subject.evidence or {})


def add(subject: HasEvidence, key: str, value: Any, *, append: bool = False) -> None:
    """Set ``key`` to ``value`` (or append ``value`` to the list under ``key``)."""
    # Reassign rather than mutate: the JSON column only notices a new value.
    evidence = dict(subject.evidence or {})
    if append:
        evidence[key] = [*evidence.get(key, []), value]
    else:
        evidence[key] = value
    subject.evidence = evidence


def unit_recommendation(subject: HasEvidence) -> dict[str, Any]:
    """Return the unit's recommendation (workers' congress vote, unit notice), or {}."""
    return of(subject).get("unit_recommendation") or {}


def opinions(subject: HasEvidence) -> list[Opinion]:
    """Return every level's opinion, oldest first."""
    return list(of(subject).get("opinions") or [])


def notice_pause(subject: HasEvidence) -> NoticePause | None:
    """Return the notice's interruption, if an objection interrupted it."""
    return of(subject).get("notice_paused")


def verifications(subject: HasEvidence) -> list[VerificationRequest]:
    """Return the verification requests with their answers, oldest first."""
    return list(of(subject).get("verifications") or [])


def set_verifications(subject: HasEvidence, requests: list[VerificationRequest]) -> None:
    """Replace the verification requests (an answer, or a recounted deadline)."""
    add(subject, "verifications", requests)


def decision(subject: HasEvidence) -> dict[str, Any]:
    """Return an archive case's recorded decision, or {}."""
    return of(subject).get("decision") or {}
