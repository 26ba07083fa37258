"""The demos and the streams of the log they write to."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Demo:
    slug: str
    title: str
    naive: str
    trick: str
    ready: bool = False


DEMOS = (
    Demo(
        "optimistic",
        "Optimistic UI",
        "spinner for as long as the lag",
        "shows it at once, pending; confirmed by push",
        ready=True,
    ),
    Demo(
        "read-your-writes",
        "Read your writes",
        "“where is my comment?”",
        "your session always sees its own writes",
        ready=True,
    ),
    Demo(
        "pending",
        "Explicit pending state",
        "“Done!” while nothing is done",
        "received → processing → completed",
        ready=True,
    ),
    Demo(
        "push",
        "Server push",
        "stale until reload, or polls",
        "WebSocket push the moment a replica applies",
        ready=True,
    ),
    Demo(
        "monotonic-reads",
        "Monotonic reads",
        "items appear and vanish on refresh",
        "never read from a staler replica",
    ),
    Demo(
        "consistent-prefix",
        "Consistent prefix",
        "the answer shows before the question",
        "apply in log order",
    ),
    Demo(
        "conflicts",
        "Conflicts",
        "last writer wins, an update is lost",
        "version check or a convergent counter",
    ),
    Demo(
        "business-process",
        "Change the process",
        "the user waits on a chain of services",
        "accept now, confirm later",
    ),
)
BY_SLUG = {demo.slug: demo for demo in DEMOS}
CURTAIN = "curtain"
STREAMS = (CURTAIN, *BY_SLUG)
