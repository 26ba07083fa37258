"""Terry's baseball game ("Replicated Data Consistency Explained Through Baseball", CACM 2013).

One game is seven writes to the log, each setting one team's runs. Six readers read it, each
through what its guarantee calls for, and each read comes with the set of scores that
guarantee allows at that moment. A read and its allowed set come from one snapshot.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.utils import timezone

from store.log import session_ref
from store.models import Delivery, Event, Replica
from store.snapshot import snapshot

from .game import BOUND_MS, GAME, GUARANTEES, Score, eventual_scores, fmt, key, prefix_scores, score_of

__all__ = ["BOUND_MS", "GAME", "GUARANTEES", "eventual_scores", "fmt", "key", "prefix_scores", "score_of"]

STREAM = "baseball"
EVENTUAL = "arrival"  # applies writes as they arrive
RMW = "slow"  # the scorekeeper's reads go to the slowest replica, plus its own writes
LEADER = "the log"


@dataclass(frozen=True)
class Write:
    position: int
    index: int
    team: str
    runs: int
    accepted_at: datetime
    session_key: str

    @property
    def run(self) -> tuple[int, str, int]:
        return self.position, self.team, self.runs


@dataclass(frozen=True)
class Reading:
    guarantee: str
    score: Score
    allowed: set[Score]
    source: str
    written: int  # writes of the game in the log at the moment of the read
    seen: int = 0  # monotonic reads: the session's position token after this read
    settled: bool = False  # every replica holds every write of the game: no later read can differ
    reflected: tuple[int, ...] = ()  # the positions of the writes this read reflects, for its history

    @property
    def score_text(self) -> str:
        return fmt(self.score)

    @property
    def allowed_list(self) -> list[str]:
        return [fmt(s) for s in sorted(self.allowed)]

    @property
    def in_prefix(self) -> bool:
        return self.score in prefix_scores(self.written)


def latest_game() -> str:
    event = Event.objects.filter(stream=STREAM).order_by("-id").only("payload").first()
    return str(event.payload.get("game", "")) if event else ""


def _writes(game: str) -> list[Write]:
    events = Event.objects.filter(stream=STREAM, key__startswith=f"bb-{game}-").order_by("id")
    return [
        Write(e.pk, int(e.payload["index"]), e.payload["team"], int(e.payload["runs"]), e.accepted_at, e.session_key)
        for e in events
    ]


def _held(replica: str, writes: list[Write]) -> set[int]:
    """Positions of `writes` that `replica` has applied."""
    return set(
        Delivery.objects.filter(replica_id=replica, event_id__in=[w.position for w in writes])
        .exclude(state=Delivery.QUEUED)
        .values_list("event_id", flat=True)
    )


def _prefix(writes: list[Write], held: set[int]) -> list[Write]:
    """The writes in log order up to the first one not held: later ones wait behind the gap."""
    prefix = []
    for write in writes:
        if write.position not in held:
            break
        prefix.append(write)
    return prefix


def _ordered_replicas() -> list[tuple[str, int]]:
    """(name, watermark) of the replicas that apply in log order, freshest first."""
    return list(
        Replica.objects.filter(ordered=True, stream="")
        .order_by("extra_lag_ms", "name")
        .values_list("name", "checkpoint")
    )


def strong(game: str, **_) -> Reading:
    writes = _writes(game)
    n = len(writes)
    score, shown = _scored(writes)
    return Reading("strong", score, {prefix_scores(n)[-1]}, LEADER, n, reflected=shown)


def eventual(game: str, **_) -> Reading:
    writes = _writes(game)
    held = _held(EVENTUAL, writes)
    score, shown = _scored([w for w in writes if w.position in held])
    return Reading("eventual", score, eventual_scores(len(writes)), EVENTUAL, len(writes), reflected=shown)


def consistent_prefix(game: str, **_) -> Reading:
    """The as-it-arrives replica, released in log order: a write behind a gap waits."""
    writes = _writes(game)
    prefix = _prefix(writes, _held(EVENTUAL, writes))
    n = len(writes)
    score, shown = _scored(prefix)
    return Reading("consistent-prefix", score, set(prefix_scores(n)), EVENTUAL, n, reflected=shown)


def bounded_staleness(game: str, now: datetime | None = None, **_) -> Reading:
    """The stalest replica that holds every write older than the bound; else the log."""
    now = now or timezone.now()
    writes = _writes(game)
    n = len(writes)
    due = [w for w in writes if w.accepted_at <= now - timedelta(milliseconds=BOUND_MS)]
    must = max((w.index + 1 for w in due), default=0)
    allowed = set(prefix_scores(n)[must:])
    for name, watermark in reversed(_ordered_replicas()):
        if all(w.position <= watermark for w in due):
            visible = [w for w in writes if w.position <= watermark]
            score, shown = _scored(visible)
            return Reading("bounded-staleness", score, allowed, name, n, reflected=shown)
    score, shown = _scored(writes)
    return Reading("bounded-staleness", score, allowed, LEADER, n, reflected=shown)


def monotonic_reads(game: str, seen: int = 0, turn: int = 0, **_) -> Reading:
    """Round the ordered replicas, but only one that has applied at least up to `seen`."""
    writes = _writes(game)
    n = len(writes)
    newest = Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
    seen = 0 if seen > newest else seen  # the log was reset
    # What this session read last: everything up to `seen`. Neither team may go below it.
    last = score_of([w.run for w in writes if w.position <= seen])
    allowed = {s for s in eventual_scores(n) if s[0] >= last[0] and s[1] >= last[1]}
    replicas = _ordered_replicas()
    start = turn % len(replicas)
    for name, watermark in replicas[start:] + replicas[:start]:
        if watermark >= seen:
            visible = [w for w in writes if w.position <= watermark]
            score, shown = _scored(visible)
            return Reading("monotonic-reads", score, allowed, name, n, max(seen, watermark), shown)
    score, shown = _scored(writes)
    return Reading("monotonic-reads", score, allowed, LEADER, n, newest, shown)


def read_my_writes(game: str, session_key: str = "", **_) -> Reading:
    """A lagging replica, plus this session's own writes from the log that it has not applied."""
    writes = _writes(game)
    watermark = Replica.objects.values_list("checkpoint", flat=True).get(pk=RMW)
    mine = [w for w in writes if session_key and w.session_key == session_ref(session_key)]
    visible = [w for w in writes if w.position <= watermark or w in mine]
    own = score_of([w.run for w in mine])
    allowed = {s for s in eventual_scores(len(writes)) if s[0] >= own[0] and s[1] >= own[1]}
    source = f"{RMW} + {len([w for w in mine if w.position > watermark])} of your writes"
    score, shown = _scored(visible)
    return Reading("read-my-writes", score, allowed, source, len(writes), reflected=shown)


def _scored(visible: list[Write]) -> tuple[Score, tuple[int, ...]]:
    """The score of the writes a read reflects, and their positions (for its history)."""
    return score_of([w.run for w in visible]), tuple(w.position for w in visible)


READERS = {
    "strong": strong,
    "eventual": eventual,
    "consistent-prefix": consistent_prefix,
    "bounded-staleness": bounded_staleness,
    "monotonic-reads": monotonic_reads,
    "read-my-writes": read_my_writes,
}


def settled(game: str) -> bool:
    """Whether every replica has applied every write of `game` so far: then every reader reads
    the log's score, and a page can stop reading until a new write comes."""
    queued = Delivery.objects.filter(event__stream=STREAM, event__key__startswith=f"bb-{game}-", state=Delivery.QUEUED)
    return not queued.exists()


def read(guarantee: str, game: str, **session) -> Reading:
    """One read by `guarantee`'s reader: the score and what it allows, from one snapshot."""
    with snapshot():
        return replace(READERS[guarantee](game, **session), settled=settled(game))
