"""How much each group has been sent: a counter per group, advanced before every send.

A phone following the projector swaps in a page rendered once for the room (push/follow.py) and
moves its socket to that page's groups; a moved socket starts each new group with a snapshot, as
a connect does, for what was pushed while it was not listening. The pushed page of the curtain
is some 50 KB, and its snapshot as much again: a thousand phones moving there were 100 MB. The
counters tell when the snapshot is the page again: read before the page is rendered (`now`) and
by the snapshot after the socket joined (push/snapshots.py); equal, nothing was sent to the group
in between, so every change the page missed is still to be pushed to a socket already listening,
and what the snapshot would swap in by id the page shows already (push/regions.py `Drawing`).

The counters carry Redis's epoch (showcase/redis_client.py `numbered`): after a restart of
Redis they count from 0 again, in another epoch, so an old page never matches a new count.
"""

from demos.groups import session_ref_group
from showcase.redis_client import EPOCH_KEY, numbered, redis_client, with_epoch

PREFIX = "push:sent:"
OWN = session_ref_group("")  # a session's own group: no snapshot, nothing counted


def counted(group: str) -> bool:
    return not group.startswith(OWN)


def advance(*groups: str) -> None:
    """Before a send to these groups (push/channel.py): one round trip, if any is counted."""
    with redis_client().pipeline(transaction=True) as pipe:
        if len(advancing(groups)(pipe)):
            pipe.execute()


def advancing(groups):
    """The commands that advance `groups`, for a pipeline that runs them before what it reads
    (push/coalesce.py: a change that may be drawn later or never). Redis's epoch is set with them,
    if it is missing."""

    def add(pipe):
        if counted_groups := [g for g in groups if counted(g)]:
            with_epoch(pipe)
            for group in counted_groups:
                pipe.incr(PREFIX + group)
        return pipe

    return add


def of(group: str) -> str:
    """The count of `group` now, with its epoch."""
    epoch, number = numbered(PREFIX + group, advance=False)
    return f"{epoch}:{number}"


def now(groups) -> dict[str, str]:
    """The counts of `groups` now, in one round trip."""
    groups = [g for g in groups if counted(g)]
    with redis_client().pipeline(transaction=True) as pipe:
        with_epoch(pipe)
        pipe.get(EPOCH_KEY)
        pipe.mget([PREFIX + g for g in groups])
        _, epoch, numbers = pipe.execute()
    return {g: f"{epoch.decode()}:{int(n or 0)}" for g, n in zip(groups, numbers, strict=True)}
