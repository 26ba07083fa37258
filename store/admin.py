from django.contrib import admin
from django.db import transaction

from . import lag
from .models import Delivery, Event, LagSettings, Replica


@admin.register(LagSettings)
class LagSettingsAdmin(admin.ModelAdmin):
    list_display = ("delay_ms", "jitter_ms", "failure_rate", "paused", "reorder", "updated_at")

    def has_add_permission(self, request) -> bool:
        return not LagSettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @transaction.atomic
    def save_model(self, request, obj, form, change) -> None:
        was_paused = LagSettings.load().paused
        super().save_model(request, obj, form, change)
        lag.after_change(was_paused, obj.paused)


@admin.register(Replica)
class ReplicaAdmin(admin.ModelAdmin):
    list_display = ("name", "ordered", "extra_lag_ms", "checkpoint", "high_water")
    readonly_fields = ("checkpoint", "high_water", "applies")

    @transaction.atomic
    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        paused = LagSettings.load().paused
        lag.after_change(paused, paused)


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    readonly_fields = (
        "replica",
        "state",
        "due_at",
        "enqueued_at",
        "enqueue_count",
        "applied_at",
        "pushed_at",
    )
    exclude = ("last_enqueued_at",)


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("id", "stream", "kind", "key", "verdict", "accepted_at")
    list_filter = ("stream", "verdict")
    search_fields = ("key",)
    # The session's key stays out even hashed: it is a link between writes, not for display.
    readonly_fields = [f.name for f in Event._meta.fields if f.name != "session_key"]
    exclude = ("session_key",)
    inlines = [DeliveryInline]

    def has_add_permission(self, request) -> bool:
        # Writes go through the log's command path, never around it.
        return False
