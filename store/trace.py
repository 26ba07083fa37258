"""Lifecycle marks that only a browser can give: the first time anyone saw a settled write."""

from django.utils import timezone

from . import signals
from .models import Event


def mark_seen(keys: list[str]) -> int:
    """Keep the first time a browser rendered each settled write of `keys`; return how many
    were new. Pending writes do not count: the write is not visible yet."""
    # Read first: most beacons name items already seen, and a read takes no write lock.
    unseen = Event.objects.filter(key__in=keys, seen_at__isnull=True).exclude(verdict="")
    found = dict(unseen.values_list("pk", "stream"))
    if not found:
        return 0
    marked = Event.objects.filter(pk__in=found, seen_at__isnull=True).update(seen_at=timezone.now())
    if marked:
        signals.announce(signals.seen, streams=set(found.values()))
    return marked
