from django.urls import path

from . import views

app_name = "reminders"

urlpatterns = [
    path("preferences/", views.PreferenceView.as_view(), name="preferences"),
    path("teams/", views.TeamListView.as_view(), name="team_list"),
    path("teams/new/", views.TeamEditView.as_view(), name="team_create"),
    path("teams/<int:pk>/edit/", views.TeamEditView.as_view(), name="team_update"),
]
