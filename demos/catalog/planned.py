"""Demos of the talk not built yet: the index shows them as "coming soon". Each leaves this
list when its own module arrives."""

from ..registry import Demo, register

for demo in (
    Demo(
        "monotonic-reads",
        "Monotonic reads",
        "items appear and vanish on refresh",
        "never read from a staler replica",
        70,
    ),
    Demo("consistent-prefix", "Consistent prefix", "the answer shows before the question", "apply in log order", 80),
    Demo("conflicts", "Conflicts", "last writer wins, an update is lost", "version check, decide in the log", 90),
    Demo("baseball", "Terry's baseball game", "six readers, one game", "each guarantee's allowed scores", 100),
):
    register(demo)
