"""Demos of the talk not built yet: the index shows them as "coming soon". Each leaves this
list when its own module arrives."""

from ..registry import Demo, register

for demo in (
    Demo("cap", "CAP: consistent or available", "CP refuses under a partition", "AP answers, then converges", 10),
    Demo(
        "business-process",
        "Change the process",
        "the user waits on a chain of services",
        "accept now, confirm later",
        20,
    ),
):
    register(demo)
