"""A run as one self-contained HTML file: styles, the replay engine and the run inline, so it
opens from disk on any laptop with no network (the stage fallback, the handout)."""

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone

from .models import Run
from .replay import replay_data

STYLES = ("showcase/app.css", "runs/replay.css")
SCRIPT = "runs/replay.js"


def _static_text(path: str) -> str:
    found = finders.find(path)
    if not found:
        raise FileNotFoundError(path)
    with open(found, encoding="utf-8") as source:
        return source.read()


def render_file(run: Run) -> str:
    js = _static_text(SCRIPT)
    # Inline, a closing tag in the script would end it early; the engine has none.
    if "</script" in js.lower():
        raise ValueError(f"{SCRIPT} contains a closing script tag")
    context = {
        "run": run,
        "data": replay_data(run),
        "css": "\n".join(_static_text(path) for path in STYLES),
        "js": js,
        "exported_at": timezone.now(),
    }
    return render_to_string("runs/export.html", context)


def file_name(run: Run) -> str:
    return f"shell-game-run-{run.pk}-{run.demo}.html"
