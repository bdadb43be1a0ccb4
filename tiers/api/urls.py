from rest_framework.routers import DefaultRouter

from .views import ProposalViewSet, RunViewSet, ScoreViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("tier-runs", RunViewSet, basename="tierrun")
router.register("tier-scores", ScoreViewSet, basename="tierscore")
router.register("tier-proposals", ProposalViewSet, basename="tierproposal")

urlpatterns = router.urls
