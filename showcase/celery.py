import os

from celery import Celery

from showcase.health import WorkerHeartbeat

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "showcase.settings")

app = Celery("showcase")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The worker keeps its own heartbeat fresh for /healthz.
app.steps["consumer"].add(WorkerHeartbeat)
