from django.urls import path

from . import optimistic, pending, push_demo, read_your_writes

urlpatterns = [
    path("demos/optimistic/", optimistic.page),
    path("demos/read-your-writes/", read_your_writes.page),
    path("demos/pending/", pending.page),
    path("demos/push/", push_demo.page),
    path("demos/optimistic/write/", optimistic.write, name="optimistic-write"),
    path("demos/optimistic/naive/", optimistic.naive, name="optimistic-naive"),
    path("demos/read-your-writes/write/", read_your_writes.write, name="ryw-write"),
    path("demos/pending/write/", pending.write, name="pending-write"),
    path("demos/pending/order/<slug:key>/", pending.order, name="pending-order"),
    path("demos/push/write/", push_demo.write, name="push-write"),
    path("demos/push/naive/", push_demo.naive, name="push-naive"),
]
