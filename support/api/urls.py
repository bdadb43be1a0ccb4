from django.urls import path
from rest_framework.routers import DefaultRouter

from .views import ArticleViewSet, IssueKpiView, IssueViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("issues", IssueViewSet, basename="issue")
router.register("articles", ArticleViewSet, basename="article")

urlpatterns = [
    *router.urls,
    path("issue-kpis/", IssueKpiView.as_view(), name="issue-kpis"),
]
