"""What each object does: a model is its initial state and, for each operation, its step: a
function from the state before it to the state after, or INVALID when the operation could not
have returned what it did from that state. States are immutable and hashable (None, ints,
strings), so the search can memoise them; each operation's step is made once, before the
search calls it a million times."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from checker.history import Op

INVALID = object()
Step = Callable[[Any], Any]


@dataclass(frozen=True)
class Model:
    name: str
    operations: frozenset[str]
    init: Any
    step: Callable[[Op], Step]
    holds: str = "the register holds"


def _read(returned) -> Step:
    return lambda state: state if state == returned else INVALID


def _write(value) -> Step:
    return lambda state: value


def _register(op: Op) -> Step:
    return _read(op.output) if op.f == "read" else _write(op.value)


def _cas_register(op: Op) -> Step:
    if op.f != "cas":
        return _register(op)
    old, new = op.value
    if op.status == "ok":
        return lambda state: new if state == old else INVALID
    if op.status == "fail":  # it did not take effect, and it was right not to
        return lambda state: state if state != old else INVALID
    return lambda state: new if state == old else state  # unknown: if it took effect, it did as a cas


def _kv(op: Op) -> Step:
    if op.f == "get":
        return _read(op.output)
    if op.f == "put":
        return _write(op.value)
    value = op.value
    return lambda state: state + value


MODELS = {
    "register": Model("register", frozenset({"read", "write"}), None, _register),
    "cas-register": Model("cas-register", frozenset({"read", "write", "cas"}), None, _cas_register),
    # Jepsen's etcd test: the same register, named for the histories it recorded.
    "etcd": Model("etcd", frozenset({"read", "write", "cas"}), None, _cas_register),
    "kv": Model("kv", frozenset({"get", "put", "append"}), "", _kv, holds="the key holds"),
}


def sets(op: Op, before) -> bool:
    """Whether the operation, taking effect on state `before`, set the state."""
    if op.f == "cas":
        return op.status != "fail" and before == op.value[0]
    return op.f not in ("read", "get")
