"""CAP: the same cluster of three replicas, written two ways, side by side.

CP answers a write only once a majority of replicas has it, and reads only from a majority: it
costs about the lag, and under a partition it refuses ("unavailable: no majority"). AP
answers at once and reads whatever its replica holds: under a partition other sessions read
stale, and everyone converges after the heal.
"""

import asyncio
import time
import uuid

from asgiref.sync import sync_to_async
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from demos import code, fragments, history, ratelimit, reads, registry, writes
from demos.forms import WriteForm
from demos.scenario import Scenario, lag
from demos.verdicts import Checked
from store import log, quorum
from store.models import Delivery, Event

from . import history as histories
from . import rehearsal as checks

SLUG = "cap"
AP_REPLICA = "cap-c"  # the replica the AP side reads: the one a partition cuts off from its writers
CP, AP, SEED = "cap.cp", "cap.ap", "item.added"
SCRIPT = "showcase/tricks/cap.js"
TEMPLATE = "demos/cap.html"
FORM = {"button": "Write to both", "placeholder": "e.g. Seat 12A is yours", "label": "Your write"}


def client_key(event: Event) -> str:
    """The form's idempotency key: each side stores it with its own prefix (two systems, one click)."""
    return event.key.split("-", 1)[1] if event.kind in (CP, AP) else event.key


def as_item(event: Event, state: str, session_key: str = "") -> reads.Item:
    own = bool(session_key) and event.session_key == session_key
    return reads.Item(client_key(event), event.text, event.pk, state, event.reason, own=own)


# reads ------------------------------------------------------------------------------------


def cp_items() -> list[reads.Item]:
    """A quorum read: what a majority of the cluster holds. Only a write that reached a
    majority shows here, so no later read can ever lose it."""
    names = quorum.cluster(SLUG)
    held = Count("deliveries", filter=Q(deliveries__replica_id__in=names) & ~Q(deliveries__state=Delivery.QUEUED))
    events = (
        Event.objects.filter(stream=SLUG, kind__in=(CP, SEED))
        .annotate(held=held)
        .filter(held__gte=quorum.majority(names))
        .order_by("-id")[: reads.LIMIT]
    )
    return [as_item(e, "confirmed" if e.verdict != "rejected" else "rejected") for e in events]


def ap_items() -> list[reads.Item]:
    """Whatever the AP side's replica holds now, stale or not."""
    deliveries = (
        Delivery.objects.filter(replica_id=AP_REPLICA, event__stream=SLUG, event__kind__in=(AP, SEED))
        .exclude(state=Delivery.QUEUED)
        .select_related("event")
        .order_by("-event_id")[: reads.LIMIT]
    )
    return [as_item(d.event, "confirmed" if d.state == Delivery.APPLIED else "rejected") for d in deliveries]


def ap_behind() -> int:
    """How many accepted AP writes the replica still lacks: a read now is that stale."""
    return Delivery.objects.filter(replica_id=AP_REPLICA, event__kind=AP, state=Delivery.QUEUED).count()


def ap_own(session_key: str) -> list[reads.Item]:
    """This session's AP writes its replica has not applied yet: the node that took them shows them."""
    if not session_key:
        return []
    events = Event.objects.filter(
        stream=SLUG,
        kind=AP,
        session_key=session_key,
        deliveries__replica_id=AP_REPLICA,
        deliveries__state=Delivery.QUEUED,
    ).order_by("-id")[: reads.LIMIT]
    return [as_item(e, "pending", session_key) for e in events]


def answer(op: str, pane: str, refused: str = "", started: float = 0.0, **extra) -> dict:
    """One answer a side gave (a write or a read), for the pane's answers and counters."""
    return {
        "id": uuid.uuid4().hex[:12],
        "op": op,
        "pane": pane,
        "outcome": "refused" if refused else "answered",
        "refused": refused,
        "ms": round((time.monotonic() - started) * 1000) if started else 0,
        **extra,
    }


def shown(pane: str, session: str, invoke: float, items: list[reads.Item], own=()) -> dict:
    """A side's list as a read in its history (demos/history.py): what it showed, oldest first,
    and from which position on it covers the log (a full list is cut at its length)."""
    floor = min(item.position for item in items) if len(items) >= reads.LIMIT else 0
    seen = [item.key for item in reversed([*items, *own])]
    return history.read(pane, session, invoke, seen, floor)


def recorded(result: dict, pane: str, session: str, invoke: float, own=()) -> list[dict]:
    """The history of a read that answered; nothing of one refused (it showed nothing)."""
    if result["answer"]["outcome"] != "answered":
        return []
    return [shown(pane, session, invoke, result[f"{pane}_items"], own)]


def read(pane: str) -> dict:
    """A read of one side: CP refuses without a majority; AP always answers, maybe stale."""
    started = time.monotonic()
    if pane == "cp":
        if not quorum.reachable():
            return {"answer": answer("read", "cp", "unavailable: no majority", started)}
        items = cp_items()
        return {"answer": answer("read", "cp", started=started, count=len(items)), "cp_items": items}
    items, behind = ap_items(), ap_behind()
    reply = answer("read", "ap", started=started, count=len(items), stale=behind)
    return {"answer": reply, "ap_items": items, "behind": behind}


# views ------------------------------------------------------------------------------------


@require_GET
def page(request):
    session_key = request.session.session_key or ""
    who, invoke = history.who(session_key), history.now()
    cp, ap = read("cp"), {**read("ap"), "own": ap_own(session_key)}
    history.record(SLUG, *recorded(cp, "cp", who, invoke), *recorded(ap, "ap", who, invoke, ap["own"]))
    context = {
        "demo": DEMO,
        "timeline": fragments.timeline(SLUG),
        "cp": cp,
        "ap": ap,
        "partitioned": not quorum.reachable(),
        **writes.form_context(request, "cap-ap", **FORM),
    }
    return render(request, TEMPLATE, context)


def propose(request, kind: str) -> tuple[Event | None, str, int]:
    """Append one side's copy of the form's write; (event, error, status)."""
    if not request.session.session_key:
        request.session.save()
    if refused := ratelimit.check(request):
        return None, refused, 429
    prefix = "cp" if kind == CP else "ap"
    form = WriteForm(request.POST)
    if not form.is_valid():
        return None, form.refusal(), 400
    key, text = form.cleaned_data["key"], form.cleaned_data["text"]
    try:
        session_key = request.session.session_key
        appended = log.append(SLUG, f"{prefix}-{key}", {"text": text}, kind=kind, session_key=session_key)
    except log.CommandError as error:
        return None, str(error), 409 if isinstance(error, log.KeyConflict) else 400
    return appended.event, "", 202


@require_POST
def ap_write(request):
    """AP: take the write on this node and answer at once; the replicas catch up later."""
    started, invoke = time.monotonic(), history.now()
    event, error, status = propose(request, AP)
    outcome = writes.Outcome(event=event, error=error, status=status)
    html = writes.form_html(request, "cap-ap", outcome, **FORM)
    if event:
        who = history.who(request.session.session_key)
        history.record(SLUG, history.write("ap", who, invoke, client_key(event), event.text, event.pk))
        reply = answer("write", "ap", started=started, text=event.text, status=202)
        html += render_to_string(f"{TEMPLATE}#ap-accepted", {"answer": reply, "items": [as_item(event, "pending")]})
    return writes.response(html, outcome)


@require_POST
async def cp_write(request):
    """CP: propose the write, answer only once a majority of replicas has applied it.

    Async, so the wait holds no server thread. Without a majority (a partition) it refuses,
    and the proposal leaves the log: no reader will ever see a write nobody was promised."""
    started, invoke = time.monotonic(), history.now()
    event, error, status = await sync_to_async(propose)(request, CP)
    if event is None:
        reply = answer("write", "cp", error, started, text=request.POST.get("text", ""), status=status)
        return cp_reply(request, reply, status)
    names = await sync_to_async(quorum.cluster)(SLUG)
    try:
        verdict = await quorum.await_majority(event.pk, names)
    except asyncio.CancelledError:
        await sync_to_async(quorum.withdraw)(event.pk, names)  # the client left: nobody was promised it
        raise
    who, key = history.who(request.session.session_key), client_key(event)
    if not verdict.committed and await sync_to_async(quorum.withdraw)(event.pk, names):
        reply = answer("write", "cp", f"unavailable: {verdict.reason}", started, text=event.text, status=503)
        await sync_to_async(history.record)(SLUG, history.write("cp", who, invoke, key, event.text, None, "fail"))
        return cp_reply(request, reply, 503)
    acks = max(verdict.acks, quorum.majority(names))
    reply = answer("write", "cp", started=started, text=event.text, acks=acks, status=200)
    done = history.write("cp", who, invoke, key, event.text, event.pk)
    read_at = history.now()
    items = await sync_to_async(cp_items)()
    await sync_to_async(history.record)(SLUG, done, shown("cp", who, read_at, items))
    return cp_reply(request, reply, 200, items=items)


def cp_reply(request, reply: dict, status: int, items=None):
    html = render_to_string(f"{TEMPLATE}#answer", {"answer": reply, "row_key": request.POST.get("key", "")})
    if items is not None:
        html += render_to_string(f"{TEMPLATE}#cp-list", {"cp": {"cp_items": items}, "oob": True})
    response = HttpResponse(html, status=status)
    response["X-Waited-Ms"] = str(reply["ms"])
    return response


@require_GET
def read_pane(request, pane: str):
    """'Read again': one side's answer and, if it answered, its list. 503 when CP refuses."""
    if pane not in DEMO.panes:
        raise Http404("No such side.")
    invoke = history.now()
    result = read(pane)
    history.record(SLUG, *recorded(result, pane, history.who(request.session.session_key), invoke))
    html = render_to_string(f"{TEMPLATE}#answer", {"answer": result["answer"]})
    if result["answer"]["outcome"] == "answered":
        html += render_to_string(f"{TEMPLATE}#{pane}-list", {pane: result, "oob": True})
    response = HttpResponse(html, status=503 if result["answer"]["refused"] else 200)
    response["X-Stale"] = str(result.get("behind", 0))
    return response


def pushed() -> str:
    """After the AP side's replica applied: both sides' lists as they are now, for every page
    (a read each in the history, by "push")."""
    invoke = history.now()
    cp = {"cp_items": cp_items()} if quorum.reachable() else None
    html = render_to_string(f"{TEMPLATE}#cp-list", {"cp": cp, "oob": True}) if cp else ""
    ap = {"ap_items": ap_items(), "behind": ap_behind()}
    reads_shown = [shown("ap", "push", invoke, ap["ap_items"])] + (
        [shown("cp", "push", invoke, cp["cp_items"])] if cp else []
    )
    history.record(SLUG, *reads_shown)
    return html + render_to_string(f"{TEMPLATE}#ap-list", {"ap": ap, "oob": True})


DEMO = registry.register(
    registry.Demo(
        slug=SLUG,
        title="CAP: consistent or available",
        naive="CP: waits for a majority, refuses without one",
        trick="AP: answers at once, converges later",
        order=10,
        replica=AP_REPLICA,
        urls=(
            path("", page),
            path("ap/", ap_write, name="cap-ap"),
            path("cp/", cp_write, name="cap-cp"),
            path("read/<str:pane>/", read_pane, name="cap-read"),
        ),
        pushed=pushed,
        patched=True,
        examples=("Seat 1A: Ada", "Seat 1B: Grace"),
        scenario=Scenario(
            "Cut the network at lag 2 s and write twice: CP refuses, AP answers (heal in the control panel)",
            ("Seat 3C: Linus", "Seat 3D: Barbara"),
            {**lag(2000), "paused": True},
            pause_ms=1500,
            guide=(
                "Press R: the network is cut (partition) at lag 2 s.",
                'Write: the CP pane refuses ("unavailable"), the AP pane answers.',
                "Heal in the control panel: AP sessions converge.",
            ),
        ),
        snippets=lambda: [
            code.python(cp_write),
            code.python(quorum.await_majority),
            code.python(ap_write),
            code.javascript(SCRIPT, "cap"),
        ],
        script=SCRIPT,
        rehearsal=checks.cap,
        panes=("cp", "ap"),
        markup=registry.Markup(lead="ap"),
        checked=(
            Checked("cp", "CP", "linearizable", histories.judge("cp")),
            Checked("ap", "AP", "linearizable", histories.judge("ap")),
        ),
    )
)
