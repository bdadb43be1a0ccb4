from rest_framework.routers import DefaultRouter

from .views import (
    CategoryViewSet,
    ProductViewSet,
    SalesImportViewSet,
    SalesLineViewSet,
    SalesTargetViewSet,
)

router = DefaultRouter()
router.include_root_view = False
router.register("categories", CategoryViewSet, basename="category")
router.register("products", ProductViewSet, basename="product")
router.register("sales-lines", SalesLineViewSet, basename="salesline")
router.register("sales-targets", SalesTargetViewSet, basename="salestarget")
router.register("sales-imports", SalesImportViewSet, basename="salesimport")

urlpatterns = router.urls
