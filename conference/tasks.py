from celery import shared_task

from demos import fragments
from push import broadcast

from .connection import redis_client
from .live import flag


@shared_task(ignore_result=True)
def push_timeline(stream: str) -> None:
    """Draw the current timeline of `stream` ("" = the curtain's) and push it. Idempotent: a
    duplicate only pushes the same picture again."""
    # Cleared before drawing, so a change that comes in while we draw schedules the next redraw.
    redis_client().delete(flag(stream))
    if stream:
        broadcast.send(broadcast.stream_group(stream), fragments.timeline(stream, oob=True))
    else:
        broadcast.send(broadcast.CURTAIN, fragments.timeline(oob=True))
