"""The launcher's record of restarted processes (`<var dir>/restarts.json`), for the curtain page."""

from __future__ import annotations

import json
from datetime import datetime

from django.conf import settings
from django.utils.functional import SimpleLazyObject

RESTARTS_FILE = "restarts.json"


def recent_restarts(limit: int = 8) -> list[dict]:
    """Newest first. No file, or a launcher that is not supervising, means no restarts."""
    try:
        entries = json.loads((settings.VAR_DIR / RESTARTS_FILE).read_text())
    except (OSError, ValueError):
        return []
    return [{**entry, "at": datetime.fromisoformat(entry["at"])} for entry in reversed(entries[-limit:])]


def restarts(request) -> dict:
    """Context processor; lazy, so pages that don't show restarts never read the file."""
    return {"restarts": SimpleLazyObject(recent_restarts)}
