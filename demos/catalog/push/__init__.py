"""Server push: the replica applies, the worker publishes once, every open page swaps it in.

The folder is the demo: `demo.py` (its views and, at the end, its declaration), its rehearsal
check, templates/ and static/."""

from .demo import DEMO

__all__ = ["DEMO"]
