"""Read your writes: a session token (position of the session's last write) that reads honour.

The folder is the demo: `demo.py` (its views and, at the end, its declaration), its rehearsal
check, templates/ and static/."""

from .demo import DEMO

__all__ = ["DEMO"]
