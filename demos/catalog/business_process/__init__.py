"""Change the process, not the database: a checkout through payment, stock and shipping.

The folder is the demo: `demo.py` (its views and, at the end, its declaration), its rehearsal
check, templates/ and static/."""

from .demo import DEMO

__all__ = ["DEMO"]
