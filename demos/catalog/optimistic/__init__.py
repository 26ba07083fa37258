"""Optimistic UI: show the write at once as pending; confirm or roll back when the replica speaks.

The folder is the demo: `demo.py` (its views and, at the end, its declaration), its rehearsal
check, templates/ and static/."""

from .demo import DEMO

__all__ = ["DEMO"]
