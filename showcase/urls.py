from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", include("demos.urls")),
    path("admin/", admin.site.urls),
    # The admin's pages don't name an icon, so browsers ask for this one.
    path("favicon.ico", RedirectView.as_view(url=static("showcase/icon.svg"), permanent=True)),
    path("", include("conference.urls")),
    path("", include("push.urls")),
    path("runs/", include("runs.urls")),
]
