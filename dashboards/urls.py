from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("tiers/", views.TierDashboardView.as_view(), name="tiers"),
    path("team/", views.TeamDashboardView.as_view(), name="team"),
    path("me/", views.MyDayView.as_view(), name="my_day"),
    path("settings/", views.SettingsView.as_view(), name="settings"),
]
