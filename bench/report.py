"""`make bench`: every figure in one run, printed and written to bench/report.md with a plot
of the fan-out beside it (bench/report.svg).

.venv/bin/python -m bench.report [--full]      (--full or SOAK_FULL=1: the 30-minute soak)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from bench import fanout, healthz, page_bytes, pageload, soak, throughput
from bench.common import running_app

HERE = Path(__file__).resolve().parent


def run_module(module: str) -> str:
    """The existing benchmarks print their own figures; the report quotes them."""
    result = subprocess.run([sys.executable, "-m", module], capture_output=True, text=True, cwd=HERE.parent)
    return (result.stdout + (result.stderr[-2000:] if result.returncode else "")).strip()


def say(text: str) -> str:
    print(text, flush=True)
    return text


def fanout_table(results: list[dict]) -> list[str]:
    lines = [
        "| sockets | stack p50 / p95 / max | bare, same bytes p50 / p95 / max | ratio p95 "
        "| bare, one item p95 | ratio p95 | frame | one item | bytes per socket per write |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        s, b, i = r["stack"], r["bare_same"], r["bare_item"]
        lines.append(
            f"| {r['sockets']} | {s['p50']:.0f} / {s['p95']:.0f} / {s['max']:.0f} ms "
            f"| {b['p50']:.0f} / {b['p95']:.0f} / {b['max']:.0f} ms | {s['p95'] / max(b['p95'], 0.1):.1f}x "
            f"| {i['p95']:.0f} ms | {s['p95'] / max(i['p95'], 0.1):.1f}x | {s['frame_bytes']} B | {s['item_bytes']} B "
            f"| {s['bytes_per_socket_per_write']:.0f} B in {s['frames_per_socket_per_write']:.1f} frames |"
        )
    return lines


def targets(
    health: dict, fan1: list[dict], fan2: list[dict], writes1: dict, writes2: dict, pages: list[dict], memory: dict
) -> list[str]:
    """The issue's targets beside this run's figures (details in the sections below)."""

    def top_ratio(rows: list[dict]) -> float:
        top = max(rows, key=lambda r: r["sockets"])
        return top["stack"]["p95"] / max(top["bare_same"]["p95"], 0.1)

    def ratio(rows: list[dict]) -> str:
        return f"{top_ratio(rows):.1f}x ({max(r['sockets'] for r in rows)} sockets)"

    def met(ok: bool) -> str:
        return "yes" if ok else "**no**"

    phone = max(row["phone"][0] for row in pages)
    laptop = max(row["laptop"][0] for row in pages)
    growth = [
        (end - memory["memory"]["after warm-up"][name]) / memory["memory"]["after warm-up"][name] * 100
        for name, end in memory["memory"]["end"].items()
        if memory["memory"].get("after warm-up", {}).get(name)
    ]
    once = writes1["exactly_once"] and writes2["exactly_once"]
    return [
        "| target | this run | met? |",
        "| --- | --- | --- |",
        f"| fan-out p95 within 3x of bare websockets, same bytes | 2 Daphne (as `make demo` runs on 2 cores) "
        f"{ratio(fan2)}; 1 Daphne {ratio(fan1)} | {met(top_ratio(fan2) <= 3)} / {met(top_ratio(fan1) <= 3)} |",
        f"| at most 2 KB per socket per write, every demo page | phones at most {phone:.0f} B; laptops (with the "
        f"timeline) at most {laptop:.0f} B | {met(phone <= 2048)} / {met(laptop <= 2048)} |",
        f"| 200 accepted writes/s at lag 0, each applied exactly once | 1 Daphne {writes1['accepted_per_s']:.0f}/s, "
        f"2 Daphne {writes2['accepted_per_s']:.0f}/s; exactly once: {'yes' if once else 'NO'} "
        f"| {met(max(writes1['accepted_per_s'], writes2['accepted_per_s']) >= 200)} |",
        f"| /healthz under 20 ms, never flapping | p95 {health['p95']:.1f} ms, {health['ok']} of {health['calls']} "
        f"answered 200 | {met(health['p95'] < 20 and health['ok'] == health['calls'])} |",
        f"| memory within 10 % of the warm-up size | {memory['minutes']:g}-minute soak: at most "
        f"{max(growth, default=0):+.1f} % | {met(max(growth, default=0) <= 10)} |",
    ]


def svg(results: list[dict]) -> str:
    """p95 per socket count, stack beside bare: hand-drawn bars, log-free and dependency-free."""
    width, height, left, bottom, top = 640, 320, 60, 40, 30
    top_ms = max([max(r["stack"]["p95"], r["bare_same"]["p95"]) for r in results] + [1.0])
    scale = (height - bottom - top) / top_ms
    group = (width - left - 20) / max(len(results), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
        f'font-size="12"><rect width="100%" height="100%" fill="white"/>',
        f'<text x="{left}" y="18">Push fan-out, p95 from apply to socket (ms): stack vs bare websockets</text>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="black"/>',
    ]
    for k, r in enumerate(results):
        x = left + k * group + 10
        for j, (key, colour) in enumerate((("stack", "#c0392b"), ("bare_same", "#2980b9"))):
            value = r[key]["p95"]
            h = value * scale
            bx = x + j * (group / 2 - 10)
            parts.append(
                f'<rect x="{bx:.0f}" y="{height - bottom - h:.0f}" width="{group / 2 - 20:.0f}" height="{h:.0f}" '
                f'fill="{colour}"/><text x="{bx:.0f}" y="{height - bottom - h - 4:.0f}">{value:.0f}</text>'
            )
        parts.append(f'<text x="{x:.0f}" y="{height - bottom + 16}">{r["sockets"]} sockets</text>')
    parts += [
        f'<rect x="{left}" y="{height - 14}" width="10" height="10" fill="#c0392b"/>'
        f'<text x="{left + 15}" y="{height - 5}">stack (Daphne + Channels)</text>',
        f'<rect x="{left + 220}" y="{height - 14}" width="10" height="10" fill="#2980b9"/>'
        f'<text x="{left + 235}" y="{height - 5}">bare websockets, same bytes</text>',
        "</svg>",
    ]
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--full", action="store_true", default=os.environ.get("SOAK_FULL") == "1")
    full = parser.parse_args().full
    started = time.monotonic()
    load = os.getloadavg()
    md = [
        "# Benchmarks",
        "",
        f"`make bench` on {os.cpu_count()} cores, WEB_PROCESSES={os.environ.get('WEB_PROCESSES', '1')}, "
        f"load average at the start {load[0]:.1f} (other work on the machine skews every figure).",
        "",
    ]
    with running_app() as app:
        health = healthz.measure(app.url, 200)
        md += ["## /healthz", "", say(healthz.report(health)), ""]
        pages = pageload.measure(app.url, 50, 10)
        md += ["## Page load", "", say(pageload.report(pages)), ""]
        app.lag(delay_ms=0, jitter_ms=0, failure_rate=0, replica_lag="slow=0")
        fan = fanout.measure(app, (100, 500, 1000), 10)
        md += ["## Push fan-out (push demo's group, lag 0)", "", *fanout_table(fan), "", "![fan-out](report.svg)", ""]
        md += ["What one push costs the worker that publishes it:", "", say(run_module("bench.publish")), ""]
        writes = throughput.measure(app, 400, 16)
        md += ["## Writes at lag 0", "", say(throughput.report(writes)), ""]
        per_page = page_bytes.measure(app, 10)
    # The same machine's ceiling for any Django write view, right after the app's figure.
    md += ["", say(run_module("bench.bare_django")), ""]
    with running_app(WEB_PROCESSES="2") as app:
        # Two Daphne processes accepting on one socket, as a two-core machine is meant to run.
        app.lag(delay_ms=0, jitter_ms=0, failure_rate=0, replica_lag="slow=0")
        fan2 = fanout.measure(app, (500, 1000), 10)
        md += ["## Push fan-out with 2 Daphne processes (SQLite, lag 0)", "", *fanout_table(fan2), ""]
        writes2 = throughput.measure(app, 400, 16)
        md += ["## Writes at lag 0 with 2 Daphne processes", "", say(throughput.report(writes2)), ""]
    heading = "## Bytes per socket per write, by demo page (a write every 250 ms)"
    md += [heading, "", say(page_bytes.report(per_page)), ""]
    md += ["## Scale-out: PostgreSQL, 2 Daphne, 2 workers", "", "```", say(run_module("bench.scale_out")), "```", ""]
    md += ["## Click → visible feedback", "", "```", say(run_module("bench.feedback")), "```", ""]
    md += ["## Apply lag", "", "```", say(run_module("bench.apply_lag")), "```", ""]
    memory = soak.measure(full)
    md += ["## Memory", "", "```", say(soak.report(memory)), "```", ""]
    md += [f"Whole run: {(time.monotonic() - started) / 60:.1f} min.", ""]
    summary = ["## Targets", "", *targets(health, fan, fan2, writes, writes2, per_page, memory), ""]
    md[4:4] = [say("\n".join(summary))]
    (HERE / "report.md").write_text("\n".join(md))
    (HERE / "report.svg").write_text(svg(fan))
    print(f"\nwritten: {HERE / 'report.md'} and report.svg")


if __name__ == "__main__":
    main()
