from django.urls import path

from . import follow, views

urlpatterns = [
    path("control/", views.control, name="control"),
    path("control/panel/", views.control_panel, name="control-panel"),
    path("control/lag/", views.control_lag, name="control-lag"),
    path("control/preset/", views.control_preset, name="control-preset"),
    path("control/reset/", views.control_reset, name="control-reset"),
    path("join/", views.join, name="join"),
    path("room/", views.room, name="room"),
    path("presenter/", views.presenter, name="presenter"),
    path("follow/lead/", follow.lead, name="follow-lead"),
    path("follow/leave/", follow.leave, name="follow-leave"),
]
