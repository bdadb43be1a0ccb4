from django.urls import path, re_path

from . import views

app_name = "support"

urlpatterns = [
    path("issues/", views.IssueListView.as_view(), name="issue_list"),
    path("issues/kpis/", views.IssueKpiView.as_view(), name="issue_kpis"),
    path("issues/<int:pk>/", views.IssueDetailView.as_view(), name="issue_detail"),
    re_path(
        r"^issues/(?P<pk>\d+)/(?P<step>assign|start|wait|resolve|close|reopen|comment|attach)/$",
        views.IssueStepView.as_view(),
        name="issue_step",
    ),
    path("issues/<int:pk>/write-up/", views.WriteUpIssueView.as_view(), name="issue_write_up"),
    path(
        "issues/attachments/<int:pk>/",
        views.AttachmentDownloadView.as_view(),
        name="attachment_download",
    ),
    path("partners/<int:pk>/issues/new/", views.IssueCreateView.as_view(), name="issue_create"),
    path("knowledge/", views.ArticleListView.as_view(), name="article_list"),
    path("knowledge/new/", views.ArticleEditView.as_view(), name="article_create"),
    path("knowledge/<int:pk>/", views.ArticleDetailView.as_view(), name="article_detail"),
    path("knowledge/<int:pk>/edit/", views.ArticleEditView.as_view(), name="article_update"),
]
