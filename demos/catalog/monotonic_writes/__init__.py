"""Monotonic writes: a session's writes take effect in the order it made them.

The folder is the demo: `demo.py` (its views and, at the end, its declaration), `listing.py`
(the listing as each pane's replica shows it), its rehearsal check, templates/ and static/."""

from .demo import DEMO

__all__ = ["DEMO"]
