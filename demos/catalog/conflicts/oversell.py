"""Oversell: a few hoodies left. The naive shop checks stock on a lagging replica and accepts;
concurrent buyers all see the same "3 left" and the shop sells more than it has, found out when
the replica catches up. The trick decides each purchase against the log in the transaction that
appends it (store/guard.py), so the extra buyers hear "sold out" at once."""

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from demos.concurrent import at_once
from demos.reads import Item
from store import guard, log
from store.models import Delivery, Event

from .base import REPLICA, SLUG, Told

RESTOCK, PURCHASE = "stock.restocked", "stock.purchased"
PRODUCT = "hoodie"
STOCK = 3
ROUNDS_SHOWN = 10
MAX_BUYERS = 6
BUYER_NAMES = ("Ada", "Grace", "Linus", "Barbara", "Ken", "Edsger")


@dataclass(frozen=True)
class Order(Item):
    """A purchase as a shop lists it: an item whose text is its buyer."""

    oversold: bool = False

    @property
    def buyer(self) -> str:
        return self.text


@dataclass
class Shop:
    pane: str
    stock: int = 0
    sold: int = 0  # applied on the replica
    orders: list[Order] = field(default_factory=list)  # since the last restock, newest first
    earlier: list[Order] = field(default_factory=list)
    restocking: bool = False  # the log has a newer restock than the replica

    @property
    def left(self) -> int:
        return max(0, self.stock - self.sold)

    @property
    def oversold_by(self) -> int:
        return max(0, self.sold - self.stock)


def restocks():
    """The log's restocks, the latest first."""
    return Event.objects.filter(stream=SLUG, kind=RESTOCK).order_by("-id")


def restock_in_log() -> Event | None:
    return restocks().first()


def purchases(pane: str):
    """The purchases in `pane` that count against the stock: pending ones too, they are reservations."""
    return Event.objects.filter(stream=SLUG, kind=PURCHASE, payload__shop=pane).exclude(verdict="rejected")


def sold_in_log(pane: str, since: Event) -> int:
    """Purchases the log holds since the restock."""
    return purchases(pane).filter(id__gt=since.pk).count()


def applied(kind: str):
    return Delivery.objects.filter(replica_id=REPLICA, state=Delivery.APPLIED, event__stream=SLUG, event__kind=kind)


def left_on_replica(pane: str) -> int:
    """What the naive shop believes: stock minus the purchases its replica has applied."""
    restock = applied(RESTOCK).select_related("event").order_by("-event_id").first()
    if restock is None:
        return 0
    sold = applied(PURCHASE).filter(event__payload__shop=pane, event_id__gt=restock.event_id).count()
    return restock.event.payload["stock"] - sold


def shop(pane: str) -> Shop:
    """The naive shop counts what its replica applied; the trick counts the log, where pending
    purchases are reservations. Orders of earlier sales stay listed (folded), so nothing
    on screen vanishes when the presenter restocks."""
    restocks = list(Event.objects.filter(stream=SLUG, kind=RESTOCK).order_by("-id")[:ROUNDS_SHOWN])
    if not restocks:
        return Shop(pane)
    current, since = restocks[0], restocks[-1].pk
    states = dict(
        Delivery.objects.filter(replica_id=REPLICA, event__stream=SLUG, event_id__gte=since).values_list(
            "event_id", "state"
        )
    )
    result = Shop(pane, stock=current.payload["stock"], restocking=states.get(current.pk) == Delivery.QUEUED)
    events = Event.objects.filter(Q(kind=RESTOCK) | Q(kind=PURCHASE, payload__shop=pane), stream=SLUG, id__gte=since)
    stock = applied_count = 0
    for event in events.order_by("id"):
        state = states.get(event.pk, Delivery.QUEUED)
        if event.kind == RESTOCK:
            stock, applied_count = event.payload["stock"], 0
            continue
        applied_count += state == Delivery.APPLIED
        order = order_of(event, state, oversold=state == Delivery.APPLIED and applied_count > stock)
        (result.orders if event.pk > current.pk else result.earlier).insert(0, order)
    result.sold = applied_count if pane == "naive" else sold_in_log(pane, current)
    return result


def order_of(event: Event, state: str, oversold: bool) -> Order:
    buyer = event.payload["buyer"]
    if oversold:
        return Order(event.key, buyer, event.pk, "rejected", "oversold: refunded, with an apology", oversold=True)
    states = {Delivery.QUEUED: "pending", Delivery.APPLIED: "confirmed", Delivery.REJECTED: "rejected"}
    return Order(event.key, buyer, event.pk, states[state], event.reason)


def buy_naive(buyer: str, key: str, session_key: str = "") -> Told:
    """Check stock on the replica, then append: the check and the append are far apart."""
    if left_on_replica("naive") <= 0:
        return Told("naive", buyer, False, "sold out")
    event = log.append(SLUG, key, purchase("naive", buyer), kind=PURCHASE, session_key=session_key).event
    return Told("naive", buyer, True, "it’s yours!", event.pk)


def sold_out_already(pane: str, key: str) -> bool:
    """Whether the log, as one statement reads it (one snapshot), has the latest restock sold out
    in `pane` and no purchase under `key`.

    Then saying "sold out" needs no lock: it was true at that moment, inside the buyer's request,
    and a refusal writes nothing. Only a purchase that may succeed waits its turn for the append
    (buy_trick), so when "everyone, tap Buy now" meets three hoodies, the other hundreds are told
    at once instead of queueing for the write lock one by one."""
    # sold_in_log and restock_in_log, as subqueries of one statement.
    sold = purchases(pane).filter(id__gt=OuterRef("pk")).order_by().values("stream").annotate(n=Count("pk")).values("n")
    row = (
        Event.objects.filter(pk=Subquery(restocks().values("pk")[:1]))
        .annotate(sold=Coalesce(Subquery(sold), 0), mine=Exists(Event.objects.filter(key=key)))
        .values("sold", "payload", "mine")
        .first()
    )
    return row is not None and not row["mine"] and row["sold"] >= row["payload"]["stock"]


def buy_trick(buyer: str, key: str, session_key: str = "") -> Told:
    """Decide against the log in the transaction that appends: sold never exceeds stock. A buyer
    who comes when the log already says sold out is told so from that one read."""
    if sold_out_already("trick", key):
        return Told("trick", buyer, False, "sold out")

    def decide() -> None:
        restock = restock_in_log()
        if restock is None or sold_in_log("trick", restock) >= restock.payload["stock"]:
            raise guard.Refused("sold out")

    command = purchase("trick", buyer)
    try:
        appended = guard.append_if(
            SLUG, key, command, subject=f"{SLUG}:stock", decide=decide, kind=PURCHASE, session_key=session_key
        )
    except guard.Refused as refused:
        return Told("trick", buyer, False, str(refused))
    return Told("trick", buyer, True, "it’s yours!", appended.event.pk)


def purchase(pane: str, buyer: str) -> dict:
    return {"text": f"{buyer} buys a {PRODUCT}", "shop": pane, "buyer": buyer}


def restock(key: str, stock: int = STOCK) -> Event:
    payload = {"text": f"Restocked: {stock} {PRODUCT}s", "stock": stock}
    return log.append(SLUG, key, payload, kind=RESTOCK).event


def race_buyers(names: list[str], key: str, session_key: str = "") -> list[Told]:
    """Every buyer buys in both shops, all at the same instant."""
    calls = []
    for i, name in enumerate(names):
        calls.append(lambda n=name, i=i: buy_naive(n, f"{key}-n{i}", session_key))
        calls.append(lambda n=name, i=i: buy_trick(n, f"{key}-t{i}", session_key))
    return at_once(calls)
