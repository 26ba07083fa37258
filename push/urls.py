from django.urls import path

from . import views

urlpatterns = [
    path("live/region/<str:name>/", views.region, name="live-region"),
]
