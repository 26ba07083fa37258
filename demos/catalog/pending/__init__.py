"""Explicit pending state: say "received", show the steps, finish by push (or a poll).

The folder is the demo: `demo.py` (its views and, at the end, its declaration), its rehearsal
check, templates/ and static/."""

from .demo import DEMO

__all__ = ["DEMO"]
