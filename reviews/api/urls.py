from django.urls import path
from rest_framework.routers import DefaultRouter

from .views import CompletionView, ReviewActionViewSet, ReviewViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("reviews", ReviewViewSet, basename="review")
router.register("review-actions", ReviewActionViewSet, basename="reviewaction")

urlpatterns = [
    *router.urls,
    path("review-completion/", CompletionView.as_view(), name="review-completion"),
]
