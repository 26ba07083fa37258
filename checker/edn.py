"""Just enough of EDN (Clojure's data notation) to read one Jepsen operation map per line:
maps, vectors, lists, sets, strings, keywords, symbols, integers, floats, nil, true and false."""

from __future__ import annotations

import re

TOKEN = re.compile(
    r"""[\s,]*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<open>\#\{|[\[{(])
      | (?P<close>[\]})])
      | (?P<atom>[^\s,"\[\]{}()]+)
    )""",
    re.VERBOSE,
)
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
CLOSERS = {"{": "}", "[": "]", "(": ")", "#{": "}"}
INTEGER = re.compile(r"[+-]?\d+N?")
FLOAT = re.compile(r"[+-]?\d+(\.\d*)?([eE][+-]?\d+)?M?")


class Keyword(str):
    """`:ok` reads as Keyword("ok"): a str, so it compares equal to "ok"."""

    __slots__ = ()

    def __repr__(self) -> str:
        return ":" + self


def loads(text: str):
    """The one value in `text`; ValueError says what is wrong."""
    tokens = _tokens(text)
    value = _value(tokens, next(tokens, None))
    if next(tokens, None) is not None:
        raise ValueError("more than one value")
    return value


def _tokens(text: str):
    position, end = 0, len(text.rstrip())
    while position < end:
        match = TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ValueError(f"cannot read {text[position : position + 20]!r}")
        position = match.end()
        yield match


def _value(tokens, token):
    if token is None:
        raise ValueError("unexpected end")
    if token["string"]:
        return re.sub(r"\\(.)", lambda m: ESCAPES.get(m[1], m[1]), token["string"][1:-1])
    if token["open"]:
        opener = token["open"]
        items = []
        for inner in tokens:
            if inner["close"]:
                if inner["close"] != CLOSERS[opener]:
                    raise ValueError(f"{opener} closed by {inner['close']}")
                break
            items.append(_value(tokens, inner))
        else:
            raise ValueError(f"{opener} is never closed")
        if opener == "{":
            if len(items) % 2:
                raise ValueError("a map with an odd number of forms")
            return dict(zip(items[::2], items[1::2], strict=True))
        return frozenset(items) if opener == "#{" else tuple(items)
    if token["close"]:
        raise ValueError(f"unexpected {token['close']}")
    return _atom(token["atom"])


def _atom(atom: str):
    if atom.startswith(":") and len(atom) > 1:
        return Keyword(atom[1:])
    if atom in ("nil", "true", "false"):
        return {"nil": None, "true": True, "false": False}[atom]
    if INTEGER.fullmatch(atom):
        return int(atom.rstrip("N"))
    if FLOAT.fullmatch(atom):
        return float(atom.rstrip("M"))
    return atom  # a symbol
