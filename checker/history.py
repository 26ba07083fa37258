"""Histories of operations: read from files (Jepsen's log lines, Jepsen's EDN maps, the app's JSON
lines), each invocation paired with its completion into one `Op`."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker import edn

JEPSEN_LINE = re.compile(r"jepsen\.util\s+-\s+(\d+)\s+:(\S+)\s+:(\S+)\s+(.*?)\s*$")
TYPES = ("invoke", "ok", "fail", "info")
READS = ("read", "get")


class HistoryError(ValueError):
    """A history that cannot be read: the line (1-based) and why."""

    def __init__(self, line: int, why: str):
        super().__init__(f"line {line}: {why}")
        self.line, self.why = line, why


@dataclass(frozen=True, slots=True)
class Op:
    """One operation: `status` is how it completed, "ok", "fail" (it did not take effect; a failed
    compare-and-set still says the value was not `from`) or "info" (unknown: it may have taken
    effect at any instant after `invoke`, or never; `complete` is then None)."""

    id: int
    process: str
    f: str
    key: Any
    value: Any  # what a write wrote, a cas's (from, to); None for a read
    output: Any  # what a read returned; True / False for a cas that succeeded / failed
    status: str
    invoke: float
    complete: float | None
    line: int  # where the invocation is in the file
    end_line: int | None  # and its completion

    @property
    def end(self) -> float:
        return math.inf if self.complete is None else self.complete

    def describe(self) -> str:
        key = "" if self.key is None else f"[{self.key}] "
        if self.f in READS:
            return f"{key}{self.f} → {_show(self.output)}"
        if self.f == "cas":
            outcome = {"ok": "", "fail": " failed", "info": " (unknown)"}[self.status]
            return f"cas {_show(self.value[0])}→{_show(self.value[1])}{outcome}"
        return f"{key}{self.f} {_show(self.value)}" + (" (unknown)" if self.status == "info" else "")

    def where(self, clock: str) -> str:
        """The invocation and completion, in the history's own clock."""
        if clock == "line":
            end = "never completed" if self.end_line is None else f"{self.end_line}"
            return f"lines {self.line}–{end}" if self.end_line is not None else f"line {self.line} ({end})"
        end = "unknown" if self.complete is None else f"{self.complete:.3f} s"
        return f"{self.invoke:.3f}–{end}"


@dataclass(frozen=True)
class History:
    ops: tuple[Op, ...]
    invocations: int  # every invocation, also those that constrain nothing (a failed read)
    clock: str  # "line": times are line numbers (Jepsen's files); "s": the server's clock in seconds


def _show(value: Any) -> str:
    if value is None:
        return "nil"
    return repr(value) if isinstance(value, str) else str(value)


def load(path: str | Path) -> History:
    """Read a history file; HistoryError (a ValueError) says which line is wrong and why."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise HistoryError(text_line(Path(path).read_bytes(), error.start), "not UTF-8 text") from None
    return parse(text.splitlines())


def text_line(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def parse(lines) -> History:
    events = [event for number, line in enumerate(lines, 1) if (event := _event(number, line))]
    if not events:
        raise HistoryError(1, "no operations in it (no Jepsen log line, EDN map or JSON object)")
    timed = [e for e in events if e["time"] is not None]
    if timed and len(timed) != len(events):
        untimed = next(e for e in events if e["time"] is None)
        raise HistoryError(untimed["line"], "no time, where other lines have one")
    return _pair(events, clock="s" if timed else "line")


def _event(number: int, line: str) -> dict | None:
    stripped = line.strip()
    if stripped.startswith('{"'):
        try:
            fields = json.loads(stripped)
        except json.JSONDecodeError as error:
            raise HistoryError(number, f"not JSON: {error.msg}") from None
        return _fields(number, fields, timed=True)
    if stripped.startswith("{"):
        try:
            fields = edn.loads(stripped)
        except ValueError as error:
            raise HistoryError(number, f"not an EDN map: {error}") from None
        return _fields(number, fields, timed=False)
    match = JEPSEN_LINE.search(line)
    if match is None:
        return None  # other log output
    process, kind, f, value = match.groups()
    try:
        parsed = edn.loads(value) if value else None
    except ValueError as error:
        raise HistoryError(number, f"cannot read the value {value!r}: {error}") from None
    return _checked(number, {"process": process, "type": kind, "f": f, "value": parsed, "key": None, "time": None})


def _fields(number: int, fields: Any, timed: bool) -> dict:
    if not isinstance(fields, dict):
        raise HistoryError(number, "not a map")
    missing = [name for name in ("process", "type", "f") if name not in fields]
    if missing:
        raise HistoryError(number, "no " + ", ".join(missing))
    time = fields.get("time") if timed else None
    if time is not None and (isinstance(time, bool) or not isinstance(time, int | float) or not math.isfinite(time)):
        raise HistoryError(number, f"time {time!r} is not a number")
    event = {name: fields.get(name) for name in ("process", "type", "f", "key", "value")}
    event["process"] = str(event["process"])
    event["time"] = time
    return _checked(number, event)


def _checked(number: int, event: dict) -> dict:
    if event["type"] not in TYPES:
        raise HistoryError(number, f"type {event['type']!r} is none of {', '.join(TYPES)}")
    if not isinstance(event["f"], str):
        raise HistoryError(number, f"operation {event['f']!r} is not a name")
    if isinstance(event["value"], list):
        event["value"] = tuple(event["value"])
    if event["f"] == "cas" and event["type"] == "invoke":
        value = event["value"]
        if not (isinstance(value, tuple) and len(value) == 2):
            raise HistoryError(number, f"a cas wants [from to], got {value!r}")
    event["line"] = number
    return event


def _pair(events: list[dict], clock: str) -> History:
    pending: dict[str, dict] = {}
    ops: list[Op] = []
    invocations = 0
    for event in events:
        process = event["process"]
        if event["type"] == "invoke":
            if process in pending:
                raise HistoryError(
                    event["line"], f"process {process} invokes again before line {pending[process]['line']} completed"
                )
            pending[process] = event
            invocations += 1
            continue
        call = pending.pop(process, None)
        if call is None:
            raise HistoryError(event["line"], f"process {process} completes an operation it never invoked")
        if call["f"] != event["f"]:
            raise HistoryError(event["line"], f"process {process} invoked {call['f']} but completes {event['f']}")
        if op := _op(len(ops), call, event, clock):
            ops.append(op)
    for call in pending.values():  # never completed: as if it timed out
        if op := _op(len(ops), call, None, clock):
            ops.append(op)
    ops.sort(key=lambda op: op.invoke)
    return History(tuple(_renumbered(ops)), invocations, clock)


def _renumbered(ops: list[Op]):
    for number, op in enumerate(ops):
        yield Op(number, *(getattr(op, name) for name in Op.__slots__[1:]))


def _op(number: int, call: dict, done: dict | None, clock: str) -> Op | None:
    status = "info" if done is None else done["type"]
    f = call["f"]
    if f in READS and status != "ok":
        return None  # a read that timed out or failed returned nothing: it constrains nothing
    if f != "cas" and status == "fail":
        return None  # a write that failed did not take effect
    value, output = call["value"], None
    if f in READS:
        value, output = None, done["value"]
    elif f == "cas":
        output = {"ok": True, "fail": False, "info": None}[status]
    elif value is None and done is not None and status == "ok":
        value = done["value"]
    time = (lambda e: e["line"]) if clock == "line" else (lambda e: e["time"])
    complete = None if status == "info" else time(done)
    if complete is not None and complete < time(call):
        raise HistoryError(done["line"], "completes before it was invoked")
    return Op(
        number, call["process"], f, call["key"], value, output, status, time(call), complete, call["line"],
        None if done is None else done["line"],
    )  # fmt: skip
