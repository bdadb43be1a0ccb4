from django.urls import path
from rest_framework.routers import DefaultRouter

from .views import InteractionViewSet, MaintenanceTaskViewSet, TierPolicyViewSet, TimelinessView

router = DefaultRouter()
router.include_root_view = False
router.register("interactions", InteractionViewSet, basename="interaction")
router.register("maintenance-tasks", MaintenanceTaskViewSet, basename="maintenancetask")
router.register("tier-policies", TierPolicyViewSet, basename="tierpolicy")

urlpatterns = [
    *router.urls,
    path("maintenance-timeliness/", TimelinessView.as_view(), name="maintenance-timeliness"),
]
