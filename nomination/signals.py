"""Signals sent by operations, for notifications and other listeners.

They are sent inside the operation's transaction, before it commits: a listener must write
what it wants done (e.g. a mail to send) in that same transaction, never act outside it,
so that a rolled-back request leaves nothing behind.
"""

from blinker import Namespace

_signals = Namespace()

#: Sent with the nomination as sender after a transition; kwargs trigger, actor, before.
nomination_transitioned = _signals.signal("nomination-transitioned")
#: Sent after nominee data changed; kwargs actor, changed (field names).
nomination_updated = _signals.signal("nomination-updated")
#: Sent with the ConsultationRequest as sender after a department gave its opinion.
consultation_answered = _signals.signal("consultation-answered")
#: Sent with the SelectionRound as sender after it opened; kwarg actor.
selection_round_opened = _signals.signal("selection-round-opened")
#: Sent with the SelectionRound as sender after it closed (or the chair decided); kwarg actor.
selection_round_closed = _signals.signal("selection-round-closed")
#: Sent with the ArchiveCase as sender after a transition; kwargs trigger, actor, before.
case_transitioned = _signals.signal("case-transitioned")
