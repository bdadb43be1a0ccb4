from rest_framework.routers import DefaultRouter

from .views import (
    ProgramViewSet,
    ResultViewSet,
    RuleViewSet,
    RunViewSet,
    SettlementViewSet,
    StatementViewSet,
)

router = DefaultRouter()
router.include_root_view = False
router.register("rebate-programs", ProgramViewSet, basename="rebateprogram")
router.register("rebate-rules", RuleViewSet, basename="rebaterule")
router.register("rebate-runs", RunViewSet, basename="rebaterun")
router.register("rebate-statements", StatementViewSet, basename="rebatestatement")
router.register("rebate-results", ResultViewSet, basename="rebateresult")
router.register("rebate-settlements", SettlementViewSet, basename="settlementline")

urlpatterns = router.urls
