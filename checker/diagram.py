"""A violation as a space-time diagram (SVG): one lane per process or session, each operation a
bar from its invocation to its completion (an unknown completion runs dashed to the right edge),
the culprits marked by colour, by a pattern and a symbol, and named in words. Every text is
escaped: a history's values are whatever its recorder saw."""

from __future__ import annotations

import math
import textwrap
from html import escape

from checker.verdict import Verdict

WIDTH, LEFT, RIGHT, ROW, BAR = 1000, 120, 30, 30, 14
# role: (fill, pattern, symbol); the verdict says what each role means
ROLES = {
    "culprit": ("#c62828", "hatch", "✖"),
    "missed": ("#1565c0", "dots", "◆"),
    "context": ("#455a64", "dots", "●"),
}
PLAIN = "#b0bec5"


def _lane(op) -> str:
    return str(getattr(op, "session", None) or getattr(op, "process", ""))


def _rows(ops) -> dict:
    """Each operation's row: its lane's, or a row below when it overlaps another of its lane."""
    lanes: dict[str, list[list[float]]] = {}
    placed = {}
    for op in sorted(ops, key=lambda o: o.invoke):
        rows = lanes.setdefault(_lane(op), [])
        free = next((i for i, last in enumerate(rows) if last[0] < op.invoke), None)
        if free is None:
            rows.append([0.0])
            free = len(rows) - 1
        rows[free][0] = op.end
        placed[op.id] = (_lane(op), free)
    order, offset = {}, 0
    for lane in sorted(lanes, key=lambda name: (not name.isdigit(), int(name) if name.isdigit() else 0, name)):
        order[lane] = offset
        offset += len(lanes[lane])
    return {op_id: order[lane] + row for op_id, (lane, row) in placed.items()}, order, offset


def svg(verdict: Verdict, title: str) -> str:
    ops = list(verdict.shown)
    rows, lanes, count = _rows(ops)
    start = min((op.invoke for op in ops), default=0.0)
    # The axis ends a little after the last culprit completes; longer bars run off its edge.
    marked = [op.end for op in ops if op.id in verdict.culprits and not math.isinf(op.end)]
    stop = max(marked + [op.invoke for op in ops], default=start)
    stop = start + 1 if stop <= start else stop + (stop - start) * 0.05
    span = WIDTH - LEFT - RIGHT
    heading = textwrap.wrap(f"{title}: {verdict.explanation or verdict.verdict}", 150) or [title]
    top = 24 + 16 * len(heading) + 28
    height = top + ROW * count + 50

    def x(t: float) -> float:
        return LEFT + (min(t, stop) - start) / (stop - start) * span

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="11" role="img">',
        f"<title>{escape(title)}</title>",
        "<defs>",
        '<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect width="6" height="6" fill-opacity="0"/><line x1="0" y1="0" x2="0" y2="6" stroke="#fff" '
        'stroke-width="2"/></pattern>',
        '<pattern id="dots" width="5" height="5" patternUnits="userSpaceOnUse">'
        '<circle cx="2.5" cy="2.5" r="1.1" fill="#fff"/></pattern>',
        "</defs>",
        f'<rect width="{WIDTH}" height="{height}" fill="#fff"/>',
    ]
    for number, line in enumerate(heading):
        out.append(f'<text x="10" y="{20 + 16 * number}" font-size="13">{escape(line)}</text>')
    legend_x = 10
    for role in (role for role in ROLES if role in verdict.culprits.values()):
        fill, pattern, symbol = ROLES[role]
        out.append(_bar(legend_x, top - 22, 24, fill, pattern, False))
        label = f"{symbol} {role}: {verdict.roles.get(role, role)}"
        out.append(f'<text x="{legend_x + 30}" y="{top - 11}">{escape(label)}</text>')
        legend_x += 40 + 6.2 * len(label)
    for lane, row in lanes.items():
        out.append(f'<text x="10" y="{top + ROW * row + 18}" font-weight="bold">{escape(lane)}</text>')
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{top + ROW * row + 2}" y2="{top + ROW * row + 2}" '
                   'stroke="#eceff1"/>')  # fmt: skip
    for op in ops:
        role = verdict.culprits.get(op.id)
        fill, pattern, symbol = ROLES[role] if role else (PLAIN, None, "")
        left, right = x(op.invoke), x(op.end)
        y = top + ROW * rows[op.id] + 8
        tip = f"{op.describe()} — {op.where(verdict.clock)}" + (f" — {role}" if role else "")
        out.append(f"<g><title>{escape(tip)}</title>")
        out.append(_bar(left, y, max(right - left, 3), fill, pattern, math.isinf(op.end)))
        label = f"{symbol} {op.describe()}".strip() if role else op.describe()
        if role or 6 * len(label) < right - left:
            anchor = f'x="{left + 2:.1f}"' if left < WIDTH * 0.6 else f'x="{right:.1f}" text-anchor="end"'
            out.append(
                f'<text {anchor} y="{y - 2}" font-weight="{"bold" if role else "normal"}" '
                f'fill="{fill if role else "#37474f"}">{escape(label + (f" ({role})" if role else ""))}</text>'
            )
        out.append("</g>")
    axis = top + ROW * count + 12
    unit = "line" if verdict.clock == "line" else "s"
    out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{axis}" y2="{axis}" stroke="#607d8b"/>')
    for tick in range(6):
        t = start + (stop - start) * tick / 5
        shown = f"{t:.0f}" if unit == "line" else f"{t:.3f}"
        out.append(f'<text x="{x(t):.1f}" y="{axis + 16}" text-anchor="middle">{escape(shown)}</text>')
    out.append(f'<text x="{WIDTH - RIGHT}" y="{axis + 32}" text-anchor="end">{escape(_axis(unit))}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _bar(left: float, y: float, width: float, fill: str, pattern: str | None, open_ended: bool) -> str:
    dash = ' stroke-dasharray="4 3"' if open_ended else ""
    bar = (
        f'<rect x="{left:.1f}" y="{y}" width="{width:.1f}" height="{BAR}" rx="2" fill="{fill}" stroke="#263238"{dash}/>'
    )
    if pattern:
        bar += f'<rect x="{left:.1f}" y="{y}" width="{width:.1f}" height="{BAR}" rx="2" fill="url(#{pattern})"/>'
    return bar


def _axis(unit: str) -> str:
    if unit == "line":
        return "line of the history file (invocation to completion; dashed: outcome unknown)"
    return "server time, s (invocation to completion; dashed: never completed)"
