from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from demos import views

urlpatterns = [
    path("", views.index, name="index"),
    path("curtain/", views.curtain, name="curtain"),
    path("", include("demos.urls")),
    path("demos/<slug:slug>/", views.demo, name="demo"),
    path("write/<slug:stream>/", views.write, name="write"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # The admin's pages don't name an icon, so browsers ask for this one.
    path("favicon.ico", RedirectView.as_view(url=static("showcase/icon.svg"), permanent=True)),
    path("", include("conference.urls")),
]
