"""Lost update: two people edit the same note. The naive note lets the last writer win; the trick
checks the version the editor started from and answers 409 with both versions and a choice."""

import difflib
from dataclasses import dataclass, field

from demos import writes
from demos.concurrent import at_once
from store import guard, log
from store.models import Delivery, Event

from .base import PANES, REPLICA, SLUG, Told

EDIT = "note.edited"
FIRST_NOTE = "Talk title: Shell Game"
EDITORS = ("Ada", "Grace")


@dataclass(frozen=True)
class Edit:
    key: str
    editor: str
    text: str
    position: int
    base: int
    state: str
    lost_to: str = ""


@dataclass
class Note:
    pane: str
    text: str = ""
    version: int = 0  # position of the edit the replica shows
    edits: list[Edit] = field(default_factory=list)


@dataclass(frozen=True)
class Conflict:
    """A 409: the edit started from `base`, but `theirs` was saved since."""

    editor: str
    mine: str
    base: int
    theirs: Event
    merged: str
    resolve_key: str = field(default_factory=writes.new_key)


def latest_edit(pane: str) -> Event | None:
    return Event.objects.filter(stream=SLUG, kind=EDIT, payload__note=pane).exclude(verdict="rejected").first()


def note(pane: str, limit: int = 20) -> Note:
    """The note as the replica shows it, and its latest edits; an edit overwritten by one that
    started from an older version than itself is lost: its editor was never asked."""
    events = list(Event.objects.filter(stream=SLUG, kind=EDIT, payload__note=pane).order_by("id"))
    states = dict(Delivery.objects.filter(replica_id=REPLICA, event__in=events).values_list("event_id", "state"))
    shown = [e for e in events if states.get(e.pk) == Delivery.APPLIED]
    result = Note(pane, shown[-1].text if shown else "", shown[-1].pk if shown else 0)
    for event in events[-limit:]:
        later = [e for e in shown if e.pk > event.pk and e.payload.get("base", 0) < event.pk]
        lost_to = later[0].payload["editor"] if later and states.get(event.pk) == Delivery.APPLIED else ""
        state = {Delivery.APPLIED: "confirmed", Delivery.REJECTED: "rejected"}.get(states.get(event.pk), "pending")
        result.edits.append(
            Edit(event.key, event.payload["editor"], event.text, event.pk, event.payload.get("base", 0), state, lost_to)
        )
    result.edits.reverse()
    return result


def edit_naive(editor: str, text: str, base: int, key: str, session_key: str = "") -> Told:
    """Last writer wins: the base is recorded (so the loss can be shown later), never checked."""
    event = log.append(SLUG, key, edit_payload("naive", editor, text, base), kind=EDIT, session_key=session_key).event
    return Told("naive", editor, True, "saved", event.pk)


def edit_trick(editor: str, text: str, base: int, key: str, session_key: str = "") -> Told | Conflict:
    """Save only if nobody saved since `base`, the version this editor started from."""

    def decide() -> None:
        theirs = latest_edit("trick")
        if theirs is not None and theirs.pk != base:
            raise guard.Refused("edited meanwhile", theirs=theirs)

    command = edit_payload("trick", editor, text, base)
    try:
        appended = guard.append_if(
            SLUG, key, command, subject=f"{SLUG}:note", decide=decide, kind=EDIT, session_key=session_key
        )
    except guard.Refused as refused:
        theirs = refused.details["theirs"]
        return Conflict(editor, text, base, theirs, merge(base_text(base), text, theirs.text))
    return Told("trick", editor, True, "saved", appended.event.pk)


def edit_payload(pane: str, editor: str, text: str, base: int) -> dict:
    return {"text": text, "note": pane, "editor": editor, "base": base}


def base_text(base: int) -> str:
    event = Event.objects.filter(pk=base).first()
    return event.text if event else ""


def merge(base: str, mine: str, theirs: str) -> str:
    """A word-level three-way merge suggestion: both sides' changes when they touch different
    words, else theirs and mine side by side for the editor to settle."""
    words = base.split()
    changes = []
    for side in (mine.split(), theirs.split()):
        matcher = difflib.SequenceMatcher(a=words, b=side, autojunk=False)
        changes += [(i1, i2, side[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]
    changes.sort(key=lambda c: (c[0], c[1]))
    for (a1, a2, _), (b1, b2, _) in zip(changes, changes[1:], strict=False):
        if b1 < a2 or (a1 == b1 and a2 == b2) or (a1 == a2 == b1):
            return mine if mine == theirs else f"{theirs} / {mine}"
    merged, at = [], 0
    for i1, i2, new in changes:
        merged += words[at:i1] + new
        at = i2
    return " ".join(merged + words[at:])


def race_editors(texts: list[str], key: str, session_key: str = "") -> list[Told | Conflict]:
    """Two editors start from the same version of each note and save at the same instant."""
    bases = {pane: (latest_edit(pane).pk if latest_edit(pane) else 0) for pane in PANES}
    calls = []
    for i, (editor, text) in enumerate(zip(EDITORS, texts, strict=True)):
        calls.append(lambda e=editor, t=text, i=i: edit_naive(e, t, bases["naive"], f"{key}-n{i}", session_key))
        calls.append(lambda e=editor, t=text, i=i: edit_trick(e, t, bases["trick"], f"{key}-t{i}", session_key))
    return at_once(calls)
