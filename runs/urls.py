from django.urls import path

from . import views

urlpatterns = [
    path("", views.run_list, name="runs"),
    path("<int:run_id>/", views.run_page, name="run"),
    path("<int:run_id>/export/", views.run_export, name="run-export"),
]
