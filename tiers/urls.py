from django.urls import path

from . import views

app_name = "tiers"

urlpatterns = [
    path("", views.ProposalListView.as_view(), name="proposal_list"),
    path("decide/", views.ProposalDecideView.as_view(), name="proposal_decide"),
    path("runs/", views.RunListView.as_view(), name="run_list"),
    path("runs/start/", views.RunStartView.as_view(), name="run_start"),
    path("runs/<int:pk>/", views.RunDetailView.as_view(), name="run_detail"),
    path("scoring/", views.ScoringModelView.as_view(), name="scoring_model"),
]
