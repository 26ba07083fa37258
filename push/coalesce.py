"""Coalesced redraws: a pushed region is redrawn at once when things are quiet, and at most
about every WINDOW_S (timelines: TIMELINE_WINDOW_S) under load, however fast writes arrive.

Rendering a list or a timeline costs far more than a write; drawing it on every accept and
apply would cap the store at a few dozen writes a second. The first change in a quiet moment
redraws at once (leading edge), so a lone write is pushed without delay. Changes while the
window is open ride along with one trailing redraw at its end. Redis flags make this hold across
every web and worker process.
"""

import logging

import redis
from celery import shared_task
from django.utils import timezone
from kombu.exceptions import KombuError

from showcase.redis_client import redis_client
from store import trace

from . import regions, sent, watchers
from .channel import send
from .regions import Region

log = logging.getLogger(__name__)

WINDOW_S = 0.2
# A timeline is the biggest fragment (an SVG of eight lanes, ~15 KB) and every apply and seen
# mark changes it: on its own, wider window a laptop gets about one a second under load.
TIMELINE_WINDOW_S = 1.0


def window_s(region: Region) -> float:
    return TIMELINE_WINDOW_S if region.kind == "timeline" else WINDOW_S


# Only a safety net: a trailing redraw clears its flag when it starts; a lost one blocks the
# next trailing redraw for this long at most (leading redraws go on regardless).
DIRTY_TTL_S = 5


def _quiet(region: Region) -> str:
    return f"push:quiet:{region.name}"


def _dirty(region: Region) -> str:
    return f"push:dirty:{region.name}"


def changed(*changed_regions: Region, here: bool = False) -> None:
    """These regions changed: redraw each now if quiet, else once when its window closes.

    here=True draws a leading redraw in this process (the worker, which already has the data
    at hand); otherwise a task does, so a web request never waits for a render.
    """
    # Counted whether drawn now, later or never (push/sent.py), before who watches is read: a
    # socket moving to one of these groups after this reads another count and gets their snapshot.
    # Patched regions are not: a moved socket gets them whole, numbered, in any case.
    counted = sent.advancing(sorted({r.group for r in changed_regions if not (r.patched or r.live)}))
    # Nobody has the others open; whoever opens one next starts with a snapshot.
    seen = watchers.watched(sorted({region.group for region in changed_regions}), first=counted)
    for region in changed_regions:
        if region.group not in seen:
            continue
        try:
            client = redis_client()
            if client.set(_quiet(region), 1, nx=True, px=int(window_s(region) * 1000)):
                if here:  # watched: checked just above
                    client.delete(_dirty(region))
                    draw(region)
                else:
                    redraw.delay(region.name)
            elif client.set(_dirty(region), 1, nx=True, ex=DIRTY_TTL_S):
                redraw.apply_async((region.name,), countdown=window_s(region))
        except (redis.RedisError, KombuError, OSError):
            # A picture of the writes must never fail a write or an apply.
            log.warning("redraw of %s not scheduled", region, exc_info=True)


@shared_task(ignore_result=True)
def redraw(name: str) -> None:
    """Render the region `name` as it is now and push it. Idempotent: a duplicate pushes the same HTML."""
    region = Region.parse(name)
    # Cleared before drawing, so a change that comes in while we draw schedules the next one.
    redis_client().delete(_dirty(region))
    if watchers.watched([region.group]):  # the last page may have closed since
        draw(region)


def draw(region: Region) -> None:
    if region.patched:
        regions.draw_patch(region)
        return
    if region.live:  # whole, numbered as its items are
        send(region.group, regions.live_snapshot(region.arg), counted=False)
        return
    rendered_at = timezone.now()
    if html := region.render():
        send(region.group, html)
        if region.kind == "curtain-replica":
            # The curtain is the only page showing writes of streams without a live list.
            trace.mark_replica_pushed(region.arg, rendered_at)
