from rest_framework.routers import DefaultRouter

from .views import ContactViewSet, PartnerViewSet, TagViewSet

router = DefaultRouter()
router.register("partners", PartnerViewSet, basename="partner")
router.register("contacts", ContactViewSet, basename="contact")
router.register("tags", TagViewSet, basename="tag")

urlpatterns = router.urls
