"""Routes derived from the registry: each demo's own patterns under /demos/<slug>/."""

from django.urls import include, path

from showcase import health

from . import curtain, registry, views

urlpatterns = [
    path("", views.index, name="index"),
    path("curtain/", curtain.page, name="curtain"),
    path("demos/<slug:slug>/verdicts/<int:run>/<slug:pane>.svg", views.verdict_diagram, name="verdict-diagram"),
    *(path(f"demos/{demo.slug}/", include(list(demo.urls))) for demo in registry.live()),
    # Any demo not built yet; a built demo's own "" pattern above answers first.
    path("demos/<slug:slug>/", views.demo, name="demo"),
    path("write/<slug:stream>/", views.write, name="write"),
    path("seen/", views.seen_beacon, name="seen"),
    path("healthz", health.healthz, name="healthz"),
]
