"""Names of the Channels groups pages listen to, spelled once for pages and the push layer."""

import hashlib

LAG = "lag"
CURTAIN = "curtain"
STREAM_PREFIX = "stream."
TIMELINE_PREFIX = "timeline."
# The audience count (join page, presenter header) and the control panel (staff only).
ROOM = "room"
CONTROL = "control"
# Phones that follow the presenter: where the projector is (push/follow.py).
FOLLOW = "follow"


def stream_group(stream: str) -> str:
    return STREAM_PREFIX + stream


def timeline_group(stream: str) -> str:
    """A demo's timeline, apart from its stream: a big SVG that phones in the audience don't need."""
    return TIMELINE_PREFIX + stream


def session_group(session_key: str) -> str:
    """Pushes meant for one browser session's pages only (its own writes' outcome)."""
    return session_ref_group(hashlib.sha256(session_key.encode()).hexdigest())


def session_ref_group(ref: str) -> str:
    """The same group, named from the hash the log stores (`store.log.session_ref`)."""
    return "session." + ref[:32]
