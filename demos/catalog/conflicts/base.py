"""What both halves of the conflicts demo share: their stream, their replica, their panes, and
what a buyer or an editor is told at once."""

from dataclasses import dataclass

SLUG = "conflicts"
REPLICA = "fast"
PANES = ("naive", "trick")


@dataclass(frozen=True)
class Told:
    """What one buyer or editor was told, at once, in answer to the request."""

    pane: str
    who: str
    ok: bool
    message: str
    position: int = 0
