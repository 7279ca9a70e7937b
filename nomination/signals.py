"""Signals sent after operations, for notifications and other listeners."""

from blinker import Namespace

_signals = Namespace()

#: Sent with the nomination as sender after a transition; kwargs trigger, actor, before.
nomination_transitioned = _signals.signal("nomination-transitioned")
#: Sent after nominee data changed; kwargs actor, changed (field names).
nomination_updated = _signals.signal("nomination-updated")
