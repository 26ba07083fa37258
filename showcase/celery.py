import os

from celery import Celery
from celery.signals import task_postrun

from showcase.health import WorkerHeartbeat

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "showcase.settings")

app = Celery("showcase")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The worker keeps its own heartbeat fresh for /healthz.
app.steps["consumer"].add(WorkerHeartbeat)


@task_postrun.connect
def close_broken_connections(**kwargs) -> None:
    """A connection a task left unusable (the database restarted, a protocol error) is closed, so
    the next task connects anew: the worker keeps its connections across tasks (settings'
    CELERY_DB_REUSE_MAX), where Celery would close them after each."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        if connection.connection is not None and connection.errors_occurred and not connection.is_usable():
            connection.close()
