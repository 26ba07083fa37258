"""The trick's key code, shown on each demo page, read from this project's own source."""

import inspect
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

JS_FILE = Path(settings.BASE_DIR) / "static" / "showcase" / "demos.js"


@dataclass(frozen=True)
class Snippet:
    origin: str
    language: str
    source: str


def python(obj) -> Snippet:
    obj = inspect.unwrap(obj)  # the view itself, not its decorators' wrapper
    path = Path(inspect.getsourcefile(obj)).relative_to(settings.BASE_DIR)
    return Snippet(f"{path} · {obj.__qualname__}", "python", inspect.getsource(obj).rstrip())


def javascript(name: str) -> Snippet:
    """The block between `// trick:NAME` and `// end trick:NAME` in demos.js."""
    text = JS_FILE.read_text()
    marker = re.escape(name)
    match = re.search(rf"^[ \t]*// trick:{marker}\n(.*?)^[ \t]*// end trick:{marker}$", text, re.S | re.M)
    if match is None:
        raise LookupError(f"no trick {name!r} in {JS_FILE.name}")
    lines = match.group(1).rstrip().splitlines()
    indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    source = "\n".join(line[indent:] for line in lines)
    return Snippet(f"static/showcase/demos.js · {name}", "javascript", source)
