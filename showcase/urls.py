from django.contrib import admin
from django.urls import include, path

from demos import views

urlpatterns = [
    path("", views.index, name="index"),
    path("curtain/", views.curtain, name="curtain"),
    path("", include("demos.urls")),
    path("demos/<slug:slug>/", views.demo, name="demo"),
    path("write/<slug:stream>/", views.write, name="write"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("conference.urls")),
]
