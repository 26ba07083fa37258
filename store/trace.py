"""Lifecycle marks that only a browser can give: the first time anyone saw a settled write."""

from django.utils import timezone

from . import signals
from .models import Delivery, Event


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


def mark_pushed(delivery_ids: list[int]) -> None:
    """These settled deliveries were just published to the browsers that show them."""
    Delivery.objects.filter(pk__in=delivery_ids, pushed_at__isnull=True).update(pushed_at=timezone.now())


def mark_replica_pushed(replica: str, settled_before) -> None:
    """A redraw of `replica` rendered at `settled_before` was just published: what it showed
    has been pushed."""
    Delivery.objects.filter(
        replica_id=replica, pushed_at__isnull=True, applied_at__isnull=False, applied_at__lte=settled_before
    ).update(pushed_at=timezone.now())
