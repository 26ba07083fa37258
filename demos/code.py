"""The trick's key code, shown on each demo page, read from this project's own source."""

import ast
import inspect
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders


@dataclass(frozen=True)
class Snippet:
    origin: str
    language: str
    source: str


def python(obj) -> Snippet:
    obj = inspect.unwrap(obj)  # the view itself, not its decorators' wrapper
    path = Path(inspect.getsourcefile(obj)).relative_to(settings.BASE_DIR)
    return Snippet(f"{path} · {obj.__qualname__}", "python", inspect.getsource(obj).rstrip())


def python_in(path: str, name: str) -> Snippet:
    """A top-level function or class of another layer's module, read as text: a demo shows a
    higher layer's code (the consumer that pushes) without importing it."""
    source = (Path(settings.BASE_DIR) / path).read_text()
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name == name:
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
            lines = source.splitlines()[start : node.end_lineno]
            return Snippet(f"{path} · {name}", "python", "\n".join(lines).rstrip())
    raise LookupError(f"no {name!r} in {path}")


def javascript(script: str, name: str) -> Snippet:
    """The block between `// trick:NAME` and `// end trick:NAME` in the static file `script`
    (a demo's own, in its folder's static/, or a shared one)."""
    found = Path(finders.find(script))
    text = found.read_text()
    marker = re.escape(name)
    match = re.search(rf"^[ \t]*// trick:{marker}\n(.*?)^[ \t]*// end trick:{marker}$", text, re.S | re.M)
    if match is None:
        raise LookupError(f"no trick {name!r} in {script}")
    lines = match.group(1).rstrip().splitlines()
    indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    source = "\n".join(line[indent:] for line in lines)
    return Snippet(f"{found.relative_to(settings.BASE_DIR)} · {name}", "javascript", source)
