"""An independent history checker: it imports nothing of the app, only the standard library.

Linearizability (`checker.linearizable`) of a register, a compare-and-set register (`etcd` is
the same model, named for Jepsen's etcd histories) and a key-value map, operations of unknown
outcome included; operations on different keys are on independent objects, checked one key at
a time (a history without keys is one object); Terry's session guarantees, consistent prefix and
bounded staleness (`checker.sessions`); a verdict `ok`, `violation` or `unknown` (the time budget
ran out), and for a violation the operations that show it, drawn by `checker.diagram.svg`.

`checker.history.load` reads three formats, line by line:

- Jepsen's log lines (`INFO  jepsen.util - 2	:invoke	:write	4`); other lines are ignored.
- Jepsen's EDN maps, one a line: `{:process 9, :type :invoke, :f :append, :key "0", :value "x"}`.
- The app's own JSON lines, the same fields plus the server's clock in seconds:
  `{"process": "s1", "type": "invoke", "f": "write", "key": "seat-12A", "value": "taken", "time": 12.5031}`
  then `{"process": "s1", "type": "ok", "f": "write", "key": "seat-12A", "value": "taken", "time": 12.5112}`.

In all three, each invocation (`invoke`) is completed by the next event of the same process:
`ok`; `fail` (it did not take effect: a failed cas says the value was not `from`; a failed read
returned nothing and constrains nothing); `info` (unknown: it may have taken effect at any instant
after its invocation, or never; an invocation never completed is the same). A read's `ok`
carries what it returned; a cas's value is `[from, to]`; the register starts nil, a key "".
Without times (Jepsen's files) the line numbers are the clock. `checker.sessions.load` reads the
app's session histories, described there."""

from checker.history import History, HistoryError, Op, load, parse
from checker.linearizable import check
from checker.models import MODELS
from checker.verdict import OK, UNKNOWN, VIOLATION, Verdict

__all__ = ["MODELS", "OK", "UNKNOWN", "VIOLATION", "History", "HistoryError", "Op", "Verdict", "check", "load", "parse"]
