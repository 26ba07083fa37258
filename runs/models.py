"""Recorded runs: what happened on one demo, from its first write to an idle gap, to replay."""

from django.db import models


class Run(models.Model):
    WRITES, SCENARIO, PRESENTING = "writes", "scenario", "presenting"

    demo = models.CharField(max_length=40, db_index=True, help_text="the demo's slug (its stream)")
    kind = models.CharField(max_length=12, default=WRITES, choices=[(k, k) for k in (WRITES, SCENARIO, PRESENTING)])
    title = models.CharField(max_length=200, blank=True, default="", help_text="the scenario's, if one ran")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(db_index=True)
    seed = models.PositiveBigIntegerField(help_text="drawn when the run began, for a rehearsal to repeat it")
    lag = models.JSONField(default=dict, help_text="the lag settings when the run began")
    writes = models.PositiveIntegerField(default=0)
    # In time order; each a dict with "t" (epoch ms) and "k" (what happened). See runs/recorder.py.
    events = models.JSONField(default=list)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"run {self.pk} of {self.demo}"

    @property
    def length_s(self) -> float:
        return (self.ended_at - self.started_at).total_seconds()
