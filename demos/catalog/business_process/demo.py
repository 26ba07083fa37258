"""Change the process, not the database: a checkout through payment, stock and shipping.

The naive side holds the request open for the whole chain (an async view: the wait holds no
server thread) and gives up after a timeout, leaving the customer in doubt. The trick accepts
the order at once ("Thanks — we will let you know"), pushes each step as it happens, and
shows the compensation when a step fails ("payment refunded") instead of failing silently.
"""

import asyncio
import time
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from demos import code, ratelimit, registry, writes
from demos.forms import WriteForm
from demos.scenario import Scenario, lag
from store import process
from store.log import session_ref
from store.models import Process

from . import rehearsal as checks

SLUG = "business-process"
SCRIPT = "showcase/tricks/business_process.js"
TEMPLATE = "demos/business_process.html"
FORM = {"button": "Check out", "placeholder": "e.g. Ticket for Ada", "label": "Your order"}
# Each service's delay is a share of the lag's delay; together the three fail about as often
# as the failure rate says.
CHECKOUT = (
    process.Step("payment", 1.0, 1 / 3, "payment declined", "payment refunded"),
    process.Step("stock", 0.5, 1 / 3, "sold out", "ticket put back on sale"),
    process.Step("shipping", 0.5, 1 / 3, "no courier available", "shipment cancelled"),
)
NOTHING_TO_UNDO = "nothing was charged"
NAIVE_TIMEOUT_S = 5.0  # what a gateway in front of the naive checkout allows
POLL_S = 0.1


def checkout(request, side: str) -> tuple[Process | None, str, int]:
    """Start one side's copy of the form's order; (process, error, status)."""
    if not request.session.session_key:
        request.session.save()
    if refused := ratelimit.check(request):
        return None, refused, 429
    form = WriteForm(request.POST)
    if not form.is_valid():
        return None, form.refusal(), 400
    key, text = form.cleaned_data["key"], form.cleaned_data["text"]
    started = process.start(SLUG, f"{side}-{key}", text, CHECKOUT, session_key=request.session.session_key)
    return started, "", 202


def card(order: Process) -> dict:
    """An order as its card shows it: the steps, and what was undone of each."""
    steps = []
    for step in order.steps:
        label = {"running": "…", "failed": f": {step['failure']}", "undoing": ": undoing…"}.get(step["state"], "")
        steps.append({**step, "label": step["name"] + label})
    undone = [s["undo"] for s in order.steps if s["state"] == process.UNDONE]
    if order.steps[0]["state"] == process.FAILED:
        undone.append(NOTHING_TO_UNDO)  # the first service said no: say that nothing happened
    state = {Process.COMPLETED: "confirmed", Process.FAILED: "rejected"}.get(order.state, "pending")
    compensating = order.state == Process.RUNNING and any(s["state"] == process.FAILED for s in order.steps)
    return {
        "key": order.key.split("-", 1)[1],
        "order": order,
        "steps": steps,
        "state": state,
        "undone": undone,
        "compensating": compensating,
    }


# views ------------------------------------------------------------------------------------


@require_GET
def page(request):
    if not request.session.session_key:
        request.session.save()  # before the socket connects: it joins this session's group
    session_key = request.session.session_key
    mine = Process.objects.filter(stream=SLUG, session_key=session_ref(session_key), key__startswith="t-")[:8]
    context = {
        "demo": DEMO,
        "orders": [card(o) for o in mine],
        "timeline": timeline_section(),
        **writes.form_context(request, "bp-order", **FORM),
    }
    return render(request, TEMPLATE, context)


@require_POST
def order(request):
    """The trick: record the order, answer 202 at once; the steps follow by push."""
    started = time.monotonic()
    placed, error, status = checkout(request, "t")
    outcome = writes.Outcome(error=error, status=status)
    html = writes.form_html(request, "bp-order", outcome, **FORM)
    if placed:
        waited = round((time.monotonic() - started) * 1000)
        html += render_to_string(f"{TEMPLATE}#card-new", {"c": {**card(placed), "waited_ms": max(waited, 1)}})
    return HttpResponse(html, status=status)


@require_POST
async def naive(request):
    """The naive checkout: hold the request until the whole chain has run, or time out.

    Async, so holding the request costs no server thread. A timeout does not stop the chain:
    the order may well complete after the customer was told nothing."""
    started = time.monotonic()
    placed, error, status = await sync_to_async(checkout)(request, "n")
    if placed is None:
        return HttpResponse(render_to_string(f"{TEMPLATE}#naive-answer", {"error": error}), status=status)
    while not placed.done and time.monotonic() - started < NAIVE_TIMEOUT_S:
        await asyncio.sleep(POLL_S)
        placed = await Process.objects.aget(pk=placed.pk)
    waited = round((time.monotonic() - started) * 1000)
    context = {"c": card(placed), "waited_ms": waited, "timed_out": not placed.done}
    return HttpResponse(render_to_string(f"{TEMPLATE}#naive-answer", context), status=504 if not placed.done else 200)


def progressed(order: Process) -> str:
    """For the trick's own pages: the card as it is now, and a notification once it is final."""
    if not order.key.startswith("t-"):
        return ""
    return render_to_string(f"{TEMPLATE}#card-update", {"c": card(order)})


# timeline ---------------------------------------------------------------------------------

WIDTH, PAD, LANE_H, AXIS_H = 960, 16, 64, 30


@dataclass
class Segment:
    state: str
    label: str
    x: float
    width: float


def lanes(limit: int = 6) -> dict:
    """Geometry of the newest checkouts: one lane each, a bar per step, the naive timeout."""
    orders = list(Process.objects.filter(stream=SLUG)[:limit])
    now = timezone.now()
    spans = [round(((o.finished_at or now) - o.started_at).total_seconds() * 1000) for o in orders]
    scale = max([*spans, NAIVE_TIMEOUT_S * 1000 + 500, 1000])

    def x(ms: float) -> float:
        return round(PAD + ms / scale * (WIDTH - 2 * PAD), 1)

    rows = []
    for i, (o, span) in enumerate(zip(orders, spans, strict=True)):
        segments = []
        for step in o.steps:
            if step["started_ms"] is None:
                continue
            end = step["ended_ms"] if step["ended_ms"] is not None else span
            segments.append(
                Segment(step["state"], step["name"], x(step["started_ms"]), max(x(end) - x(step["started_ms"]), 2))
            )
            if step.get("undone_ms") is not None:
                segments.append(Segment("undone", step["undo"], x(end), max(x(step["undone_ms"]) - x(end), 2)))
        top = AXIS_H + i * LANE_H
        rows.append({"o": o, "side": "naive" if o.key.startswith("n-") else "trick", "top": top, "segments": segments})
    ticks = [{"x": x(ms), "label": f"{ms / 1000:g} s"} for ms in range(0, int(scale) + 1, 1000)]
    height = AXIS_H + max(len(rows), 1) * LANE_H
    return {"rows": rows, "ticks": ticks, "width": WIDTH, "height": height, "timeout_x": x(NAIVE_TIMEOUT_S * 1000)}


def timeline_section(oob: bool = False) -> str:
    return render_to_string(f"{TEMPLATE}#timeline", {"tl": lanes(), "oob": oob})


def pushed() -> str:
    """Every page of the demo: the checkouts' timeline, redrawn as steps happen."""
    return timeline_section(oob=True)


DEMO = registry.register(
    registry.Demo(
        slug=SLUG,
        title="Change the process",
        naive="waits on payment, stock and shipping",
        trick="“Thanks — we will let you know”",
        order=20,
        urls=(
            path("", page),
            path("order/", order, name="bp-order"),
            path("naive/", naive, name="bp-naive"),
        ),
        pushed=pushed,
        progressed=progressed,
        scenario=Scenario(
            "Book three tickets at lag 3 s, three in ten refused",
            ("Ticket for Ada", "Ticket for Grace", "Ticket for Linus"),
            lag(3000, failure_rate=0.3),
            pause_ms=1500,
            guide=(
                "Press R: the lag goes to 3 s and three in ten steps fail.",
                "Naive: the buyer waits on payment, stock and shipping in turn.",
                'Trick: "we will let you know" at once; each step ticks by push, a failure undoes the done ones.',
            ),
        ),
        snippets=lambda: [
            code.python(order),
            code.python(naive),
            code.python(process.run_step),
            code.javascript(SCRIPT, "checkout"),
        ],
        script=SCRIPT,
        rehearsal=checks.business_process,
    )
)
