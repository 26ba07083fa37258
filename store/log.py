"""The write side: validate a command and append it to the event log in one transaction."""

import atexit
import hashlib
import logging
import string
import threading
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, close_old_connections, connection, transaction
from django.utils import timezone

from . import signals
from .models import Delivery, Event, LagSettings, Replica
from .tasks import enqueue_appended

MAX_TEXT = 140
MAX_KEY = 64
# ASCII only: str.isalnum() also passes "é" or "١", which the URLs that carry a key refuse.
KEY_CHARS = frozenset(string.ascii_letters + string.digits + "-_")
# Any fixed number: the one PostgreSQL advisory lock that appends take in turn.
APPEND_LOCK = 0x5E11_6A3E
logger = logging.getLogger(__name__)


class CommandError(ValueError):
    """The command is invalid; nothing was written."""


class KeyConflict(CommandError):
    """The idempotency key was already used for a different command."""


@dataclass(frozen=True)
class Appended:
    event: Event
    created: bool  # False: the key was seen before and this is the same event again


# Right-to-left overrides and isolates turn what a reader sees around: "gnp.exe" reads as "exe.png".
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean_text(text: str) -> str:
    text = " ".join(str(text).split())
    if not text:
        raise CommandError("Write something first.")
    if len(text) > MAX_TEXT:
        raise CommandError(f"Keep it to {MAX_TEXT} characters (this is {len(text)}).")
    if any(unicodedata.category(c) == "Cc" or c in BIDI_CONTROLS for c in text):
        raise CommandError("Plain text only: no control or text-direction characters.")
    return text


def clean_key(key: str) -> str:
    key = str(key).strip()
    if not key or len(key) > MAX_KEY or not set(key) <= KEY_CHARS:
        raise CommandError("Missing or malformed idempotency key.")
    return key


def session_ref(raw_key: str | None) -> str:
    """What the log keeps of a browser session's key: its SHA-256, never the key itself, so the
    log and the admin hand out no session. Compare stored `Event.session_key` with this.

    A ref passes through unchanged (a session key is never 64 hex digits), so a reader handed
    the stored ref (a push for the writer's session) reads as that session."""
    if not raw_key:
        return ""
    if len(raw_key) == 64 and set(raw_key) <= set("0123456789abcdef"):
        return raw_key
    return hashlib.sha256(raw_key.encode()).hexdigest()


def lock_appends() -> None:
    """Call inside the appending transaction: appends then commit in the order of their ids.

    PostgreSQL hands out ids at insert, not at commit, so without this a later write can become
    visible before an earlier one and an ordered replica would apply it first (and its watermark
    would pass the earlier one). SQLite already runs one writing transaction at a time.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [APPEND_LOCK])


def append(
    stream: str,
    key: str,
    payload: dict,
    *,
    kind: str = "item.added",
    session_key: str = "",
    submitted_at: datetime | None = None,
    refusable: bool = True,
    wait_s: float | None = None,
) -> Appended:
    """Append one event and its deliveries; enqueue the deliveries once the commit is durable.

    The same key with the same command returns the existing event; with another command it
    raises KeyConflict. A write that is not `refusable` (a fact, like a run scored) is accepted
    for good at once: the failure rate never rejects it. `session_key` is the raw key of the
    writing session; only its hash is stored.

    Called outside a transaction, the append joins this process's group commit (one transaction
    for every append waiting at that moment); `wait_s` bounds how long it waits for its turn
    before it gives up with Crowded, unwritten. Inside the caller's transaction it is written there.
    """
    command = Command(
        stream=stream,
        key=clean_key(key),
        payload=payload,
        kind=kind,
        session_ref=session_ref(session_key),
        submitted_at=submitted_at or timezone.now(),
        refusable=refusable,
    )
    if connection.in_atomic_block:
        return _append_one(command)
    return _group.append(command, wait_s)


@dataclass(eq=False)
class Command:
    """One append, and what became of it once its group was written."""

    stream: str
    key: str
    payload: dict
    kind: str
    session_ref: str
    submitted_at: datetime
    refusable: bool
    outcome: Appended | None = None
    error: BaseException | None = None
    # Set when the command is written (or failed) or when it is this process's turn to lead.
    turn: threading.Event = field(default_factory=threading.Event)
    lead: bool = False
    taken: bool = False  # in a group being written: no longer withdrawn on timeout

    def event(self) -> Event:
        return Event(
            stream=self.stream,
            kind=self.kind,
            key=self.key,
            payload=self.payload,
            session_key=self.session_ref,
            submitted_at=self.submitted_at,
            verdict="" if self.refusable else "ok",
        )

    def result(self) -> Appended:
        if self.error is not None:
            raise self.error
        return self.outcome


class GroupCommit:
    """Appends of one process written together: a group commit.

    The first append to arrive leads: it writes every append waiting at that moment in one
    transaction (one key lookup, one insert of the events, one of their deliveries, one commit,
    one drain sent and one announcement), and hands the lead to the first that arrived while it
    wrote. A burst of writes costs a transaction per group, not per write, and waits in order of
    arrival: the database sees one writer of this process at a time. A command that waited
    longer than its `wait_s` before a leader took it is withdrawn, unwritten (Crowded).
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.queue: list[Command] = []
        self.leading = False

    def append(self, command: Command, wait_s: float | None) -> Appended:
        with self.lock:
            self.queue.append(command)
            if not self.leading:
                self.leading = command.lead = True
        if not command.lead and not command.turn.wait(wait_s):
            with self.lock:
                withdrawn = not (command.lead or command.taken)
                if withdrawn:
                    self.queue.remove(command)
            if withdrawn:
                raise Crowded("Everyone is writing at once: this write waited its turn too long.")
            command.turn.wait()
        if command.lead:
            self.lead()
        return command.result()

    def lead(self) -> None:
        with self.lock:
            group, self.queue[:GROUP_MAX] = self.queue[:GROUP_MAX], []
            for command in group:
                command.taken = True
        written = None
        try:
            written = _write_group(group)
        except Exception as error:  # noqa: BLE001 - every command of the group hears of it (busy: 503)
            for command in group:
                command.error = error
        finally:
            with self.lock:
                if self.queue:  # the next group is written while this one's drains are sent (Announcer)
                    self.queue[0].lead = True
                    self.queue[0].turn.set()
                else:
                    self.leading = False
            for command in group:
                if command.outcome is None and command.error is None:  # the leader was stopped
                    command.error = RuntimeError("This write's group was not written.")
                if not command.lead:
                    command.turn.set()
        if written is not None:
            _announcer.put(written)


class Crowded(Exception):
    """The append waited its turn too long; nothing was written."""


GROUP_MAX = 64
_group = GroupCommit()


class Announcer:
    """What follows a group's commit, done by one thread of this process, group by group in the
    order they were committed: the drains sent and the `accepted` announcement.

    The writes' answers do not wait for it: a write stands once committed, and its deliveries are
    recorded as sent in that commit, so a drain lost with this process (kill -9 between the commit
    and the send) is sent again by the sweeper once overdue. The presenter's click is answered
    after its commit, not after three more round trips to the broker and Redis.
    """

    def __init__(self) -> None:
        self.ready = threading.Condition()
        self.pending: list[tuple[list[Event], list[Delivery], bool]] = []
        self.busy = False
        self.thread: threading.Thread | None = None

    def put(self, written: tuple[list[Event], list[Delivery], bool]) -> None:
        if not written[0]:
            return
        with self.ready:
            self.pending.append(written)
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self.run, name="group-commit-announcer", daemon=True)
                self.thread.start()
            self.ready.notify_all()

    def run(self) -> None:
        while True:
            with self.ready:
                self.ready.wait_for(lambda: self.pending)
                written, self.busy = self.pending.pop(0), True
            try:
                _announce_group(*written)
            except Exception:  # noqa: BLE001 - the thread goes on with the next group
                logger.exception("a group's drains and announcement failed; the sweeper sends its drains")
            finally:
                close_old_connections()  # one opened for a refused drain is not kept across groups
                with self.ready:
                    self.busy = False
                    self.ready.notify_all()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until every group committed so far was announced; False on timeout."""
        with self.ready:
            return self.ready.wait_for(lambda: not self.pending and not self.busy, timeout_s)


_announcer = Announcer()
# A process that exits on purpose (a graceful stop) sends what it committed; a killed one leaves
# it to the sweeper.
atexit.register(_announcer.wait, 5.0)


def announced(timeout_s: float | None = None) -> bool:
    """Wait until this process has sent the drains and announcements of every group it committed."""
    return _announcer.wait(timeout_s)


def _write_group(group: list[Command]) -> tuple[list[Event], list[Delivery], bool]:
    """Write `group` in one transaction; each command gets its outcome. Returns the new events,
    their deliveries and whether the lag is paused, for what follows the commit."""
    try:
        with transaction.atomic():
            lock_appends()
            # Inside the appends' lock: no other append can add a key until this commits.
            known = {e.key: e for e in Event.objects.filter(key__in={c.key for c in group})}
            events = []
            for command in group:
                if (existing := known.get(command.key)) is not None:  # before, or earlier in this group
                    try:
                        command.outcome = _same_or_conflict(existing, command.stream, command.kind, command.payload)
                    except KeyConflict as error:
                        command.error = error
                    continue
                event = known[command.key] = command.event()
                events.append(event)
                command.outcome = Appended(event, created=True)
            Event.objects.bulk_create(events)
            lag = LagSettings.load()
            deliveries = Delivery.objects.bulk_create(_deliveries(events, lag))
    except IntegrityError:
        # A key written outside the appends' lock (none should be): each on its own, as before.
        for command in group:
            command.outcome, command.error = None, None
            try:
                command.outcome = _append_one(command)
            except Exception as error:  # noqa: BLE001 - its own answer; the others' stand (busy: 503)
                command.error = error
        return [], [], True
    return events, deliveries, lag.paused


def _deliveries(events: list[Event], lag: LagSettings):
    """Each event's deliveries, to every replica serving its stream, recorded as sent unless paused."""
    serving = {stream: Replica.serving(stream) for stream in {e.stream for e in events}}
    for event in events:
        # Sent to the broker once the commit is durable, and recorded as sent right here.
        sent = (
            {}
            if lag.paused
            else {"enqueued_at": event.accepted_at, "last_enqueued_at": event.accepted_at, "enqueue_count": 1}
        )
        for replica in serving[event.stream]:
            yield Delivery(
                event=event, replica=replica, **sent, due_at=event.accepted_at + lag.due_after(replica, event.pk)
            )


def _announce_group(events: list[Event], deliveries: list[Delivery], paused: bool) -> None:
    """After a group's commit: send its deliveries' drains and tell the listeners. Once committed
    the writes stand, whatever befalls these (the sweeper re-sends what the broker refused)."""
    if not events:
        return
    if not paused:
        try:
            enqueue_appended(deliveries)
        except Exception:  # noqa: BLE001 - a 202 must not turn into a 500 after the commit
            logger.warning(
                "drains of %s appended deliveries not sent; the sweeper will", len(deliveries), exc_info=True
            )
    signals.announce(signals.accepted, events=events)


def _append_one(command: Command) -> Appended:
    """The append on its own, in the caller's transaction if there is one."""
    existing = Event.objects.filter(key=command.key).first()
    if existing is not None:
        return _same_or_conflict(existing, command.stream, command.kind, command.payload)
    try:
        with transaction.atomic():
            lock_appends()
            event = command.event()
            event.save(force_insert=True)
            lag = LagSettings.load()
            deliveries = Delivery.objects.bulk_create(_deliveries([event], lag))
            if not lag.paused:
                # Robust: once committed the write stands, whatever befalls its reminders (the
                # sweeper re-sends them); an error here must not turn a 202 into a 500.
                transaction.on_commit(lambda: enqueue_appended(deliveries), robust=True)
            signals.announce_on_commit(signals.accepted, events=[event])
    except IntegrityError:
        # A concurrent double submit won the race for the key.
        return _same_or_conflict(Event.objects.get(key=command.key), command.stream, command.kind, command.payload)
    return Appended(event, created=True)


def _same_or_conflict(existing: Event, stream: str, kind: str, payload: dict) -> Appended:
    if (existing.stream, existing.kind, existing.payload) != (stream, kind, payload):
        raise KeyConflict("This idempotency key was already used for a different write.")
    return Appended(existing, created=False)
