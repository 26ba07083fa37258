"""Plain functions that make test data through the same paths the app uses."""

import uuid

from django.contrib.auth import get_user_model
from django.test import Client

from store import log
from store.data import ensure_replicas
from store.models import LagSettings, Replica


def key() -> str:
    return uuid.uuid4().hex


def lag(**values) -> LagSettings:
    ensure_replicas()
    LagSettings.objects.update(**values)
    return LagSettings.load()


def replica(name: str, ordered: bool = True, extra_lag_ms: int = 0) -> Replica:
    """A replica with these settings, whether or not the demo data already has one of that name."""
    replica, _ = Replica.objects.update_or_create(
        name=name, defaults={"ordered": ordered, "extra_lag_ms": extra_lag_ms}
    )
    return replica


def write(text: str = "hello", stream: str = "curtain", **kwargs):
    """An append, once its drains are sent and it is announced (log.Announcer does that after the
    answer, on a thread of its own)."""
    event = log.append(stream, kwargs.pop("key", None) or key(), {"text": text}, **kwargs).event
    assert log.announced(10), "the write's group was not announced within 10 s"
    return event


def staff_client() -> Client:
    user = get_user_model().objects.create_user(f"presenter-{key()[:8]}", password="x", is_staff=True)
    client = Client()
    client.force_login(user)
    return client
