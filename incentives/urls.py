from django.urls import path

from . import views

app_name = "incentives"

urlpatterns = [
    path("", views.StatementListView.as_view(), name="statement_list"),
    path("approve/", views.StatementApproveView.as_view(), name="statement_approve"),
    path("export/", views.StatementExportView.as_view(), name="statement_export"),
    path("statements/<int:pk>/", views.StatementDetailView.as_view(), name="statement_detail"),
    path("statements/<int:pk>/print/", views.StatementPrintView.as_view(), name="statement_print"),
    path("statements/<int:pk>/payout/", views.PayoutView.as_view(), name="statement_payout"),
    path(
        "statements/<int:pk>/results/<int:result>/lines/",
        views.ResultLinesView.as_view(),
        name="result_lines",
    ),
    path("programs/", views.ProgramListView.as_view(), name="program_list"),
    path("programs/new/", views.ProgramFormView.as_view(), name="program_create"),
    path("programs/<int:pk>/", views.ProgramDetailView.as_view(), name="program_detail"),
    path("programs/<int:pk>/edit/", views.ProgramFormView.as_view(), name="program_edit"),
    path(
        "programs/<int:pk>/approve/",
        views.ProgramDecisionView.as_view(),
        {"action": "approve"},
        name="program_approve",
    ),
    path(
        "programs/<int:pk>/retire/",
        views.ProgramDecisionView.as_view(),
        {"action": "retire"},
        name="program_retire",
    ),
    path("programs/<int:pk>/rules/new/", views.RuleFormView.as_view(), name="rule_create"),
    path("programs/<int:pk>/rules/<str:code>/", views.RuleFormView.as_view(), name="rule_edit"),
    path("programs/<int:pk>/run/", views.RunStartView.as_view(), name="run_start"),
    path("programs/<int:pk>/what-if/", views.WhatIfView.as_view(), name="what_if"),
    path("runs/<int:pk>/", views.RunDetailView.as_view(), name="run_detail"),
]
