"""What the store announces. The web layers listen (push/apps.py connects them); the store
never imports them, so it runs the same with or without a page open."""

import logging

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

# Events entered the log, in one commit. kwargs: events.
accepted = Signal()
# A replica applied or rejected deliveries. kwargs: replica (name), deliveries.
settled = Signal()
# The lag settings or a replica's extra lag changed.
lag_changed = Signal()
# The log and the replicas were emptied and seeded again.
reset = Signal()
# A browser rendered settled items for the first time. kwargs: streams.
seen = Signal()
# A proposal that never reached a quorum left the log, and every replica that had it.
# kwargs: stream, replicas (names).
withdrawn = Signal()
# A business process (a checkout) moved a step on. kwargs: process.
progressed = Signal()


def announce(signal: Signal, **kwargs) -> None:
    """Tell the listeners; a listener that fails (Redis down) never undoes what the store did."""
    for receiver, result in signal.send_robust(sender=None, **kwargs):
        if isinstance(result, Exception):
            logger.warning("%s failed after the store changed: %s", getattr(receiver, "__qualname__", receiver), result)


def announce_on_commit(signal: Signal, **kwargs) -> None:
    """Announce once the change is durable, so listeners read what was committed."""
    transaction.on_commit(lambda: announce(signal, **kwargs))
