from django.urls import path

from .views import MyDayView, TeamDashboardView, TierDashboardView

urlpatterns = [
    path("dashboards/tiers/", TierDashboardView.as_view(), name="dashboard-tiers"),
    path("dashboards/team/", TeamDashboardView.as_view(), name="dashboard-team"),
    path("dashboards/me/", MyDayView.as_view(), name="dashboard-me"),
]
