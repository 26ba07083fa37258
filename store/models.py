"""The event log (write side), the replicas (read side) and the lag that separates them."""

import math
import random
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

# Caps keep every countdown far below the broker's visibility timeout (600 s), so a waiting
# task is never handed to a second worker while the first still holds it.
MAX_DELAY_MS = 30_000
MAX_JITTER_MS = 10_000
MAX_EXTRA_LAG_MS = 30_000
UNSEEDED = random.Random()


def validate_finite(value: float) -> None:
    # NaN passes every comparison-based range check; SQLite would store it as NULL.
    if not math.isfinite(value):
        raise ValidationError("%(value)s is not a number.", params={"value": value})


class Event(models.Model):
    """One accepted command. Its id is its position in the one global log."""

    stream = models.CharField(max_length=40, db_index=True)
    kind = models.CharField(max_length=40, default="item.added")
    key = models.CharField("idempotency key", max_length=64, unique=True)
    payload = models.JSONField(default=dict)
    session_key = models.CharField(
        max_length=64, blank=True, default="", help_text="SHA-256 of the writing session's key (store.log.session_ref)"
    )
    submitted_at = models.DateTimeField()
    accepted_at = models.DateTimeField(auto_now_add=True)
    # Decided once, by whichever replica reaches the event first, so replicas never disagree.
    verdict = models.CharField(max_length=10, blank=True, default="", choices=[("ok", "ok"), ("rejected", "rejected")])
    reason = models.CharField(max_length=200, blank=True, default="")
    # The first time any browser rendered the settled item: the end of the timeline's lane.
    seen_at = models.DateTimeField(null=True, blank=True, help_text="first rendered by a browser")

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.stream} {self.payload.get('text', '')!r}"

    @property
    def position(self) -> int:
        return self.pk

    @property
    def text(self) -> str:
        return str(self.payload.get("text", ""))


class Replica(models.Model):
    """A read model: a projection of the log with its own lag and checkpoint."""

    name = models.SlugField(primary_key=True, max_length=20)
    # In log order: applies every missing event up to the target. Otherwise as each arrives.
    ordered = models.BooleanField(default=True)
    extra_lag_ms = models.PositiveIntegerField(default=0, validators=[MaxValueValidator(MAX_EXTRA_LAG_MS)])
    # Readers that need "everything up to here" use the watermark; only it may answer them.
    checkpoint = models.BigIntegerField(
        "watermark", default=0, help_text="every position up to here is applied or rejected here"
    )
    high_water = models.BigIntegerField(default=0, help_text="highest position applied or rejected here")
    applies = models.PositiveBigIntegerField(default=0, help_text="deliveries settled so far")
    # A cluster of its own: only this stream's events, and that stream goes to no other replica.
    stream = models.CharField(max_length=40, blank=True, default="", help_text="blank: every other stream")

    class Meta:
        ordering = ["stream", "extra_lag_ms", "name"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def serving(cls, stream: str) -> list["Replica"]:
        """The replicas `stream`'s events go to: its own cluster if it has one, else the shared ones."""
        replicas = list(cls.objects.filter(stream__in=("", stream)))
        return [r for r in replicas if r.stream] or replicas


class Delivery(models.Model):
    """One event on its way to one replica; the lifecycle trace of that leg.

    Written in the same transaction as the event, so it is the outbox: the sweeper finds
    deliveries still queued after their due time and enqueues them again.
    """

    QUEUED, APPLIED, REJECTED = "queued", "applied", "rejected"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    replica = models.ForeignKey(Replica, on_delete=models.CASCADE, related_name="deliveries")
    state = models.CharField(
        max_length=10,
        default=QUEUED,
        choices=[(s, s) for s in (QUEUED, APPLIED, REJECTED)],
        db_index=True,
    )
    due_at = models.DateTimeField()
    enqueued_at = models.DateTimeField(null=True, blank=True, help_text="first enqueue")
    last_enqueued_at = models.DateTimeField(null=True, blank=True)
    enqueue_count = models.PositiveIntegerField(default=0)
    applied_at = models.DateTimeField(null=True, blank=True, help_text="applied or rejected")
    pushed_at = models.DateTimeField(null=True, blank=True)
    # The n-th delivery this replica settled: the true order of applies, and a count that a
    # second apply of the same delivery would push past the number of deliveries.
    apply_seq = models.PositiveBigIntegerField(null=True, blank=True, help_text="n-th settled by this replica")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["replica", "event"], name="one_delivery_per_replica")]
        indexes = [models.Index(fields=["replica", "state", "event"])]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"#{self.event_id} → {self.replica_id}: {self.state}"


class LagSettings(models.Model):
    """The one row of lag settings; `LagSettings.load()` returns it."""

    delay_ms = models.PositiveIntegerField(default=1000, validators=[MaxValueValidator(MAX_DELAY_MS)])
    jitter_ms = models.PositiveIntegerField(default=200, validators=[MaxValueValidator(MAX_JITTER_MS)])
    failure_rate = models.FloatField(
        default=0.0, validators=[validate_finite, MinValueValidator(0.0), MaxValueValidator(1.0)]
    )
    paused = models.BooleanField(default=False, help_text="network partition: writes queue up")
    reorder = models.BooleanField(
        default=False,
        help_text="every other write takes a longer route (half to one more delay), so the next one overtakes it",
    )
    seed = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="draw jitter from this seed: the same write always waits as long"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "lag settings"

    def __str__(self) -> str:
        return "lag settings"

    def save(self, *args, **kwargs) -> None:
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> "LagSettings":
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj

    def draws(self, position: int, replica: Replica) -> random.Random:
        """Where the jitter of one delivery comes from: with a seed, a generator seeded by
        (seed, position, replica), so a write waits as long whenever and however often it is
        drawn (a rehearsal repeats); without, the process's own."""
        if self.seed is None:
            return UNSEEDED
        return random.Random(f"{self.seed}:{position}:{replica.name}")

    def countdown_ms(self, replica: Replica, position: int) -> int:
        """How long after acceptance `replica` applies the event at `position`: delay + its
        extra lag + jitter; with reorder, an odd position also takes the long route.

        Two routes taken in turn, as packets spread over two links are: of two writes in a row
        sent within half a delay (less the jitter), the second overtakes the first whenever the
        first took the long one, so any three in a row show an overtaking. Random reordering
        would show one only with luck."""
        draw = self.draws(position, replica)
        ms = self.delay_ms + replica.extra_lag_ms + draw.randint(0, self.jitter_ms)
        if self.reorder and position % 2:
            ms += draw.randint(self.delay_ms // 2, self.delay_ms)
        return ms

    def due_after(self, replica: Replica, position: int) -> timedelta:
        return timedelta(milliseconds=self.countdown_ms(replica, position))


class Process(models.Model):
    """A business process of several steps (a checkout: payment, stock, shipping), run by
    Celery one step at a time; a failed step undoes the done ones (compensation)."""

    RUNNING, COMPLETED, FAILED = "running", "completed", "failed"

    key = models.CharField("idempotency key", max_length=64, unique=True)
    stream = models.CharField(max_length=40, db_index=True)
    session_key = models.CharField(max_length=64, blank=True, default="")
    text = models.CharField(max_length=200)
    state = models.CharField(max_length=10, default=RUNNING, choices=[(s, s) for s in (RUNNING, COMPLETED, FAILED)])
    reason = models.CharField(max_length=200, blank=True, default="")
    # One dict per step: name, weight, share, failure, undo, state, started_ms, ended_ms.
    steps = models.JSONField(default=list)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "processes"

    def __str__(self) -> str:
        return f"{self.text!r}: {self.state}"

    @property
    def done(self) -> bool:
        return self.state != self.RUNNING
