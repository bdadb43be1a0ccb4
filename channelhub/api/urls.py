from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("api/v1/", include("partners.api.urls")),
    path("api/v1/", include("sales.api.urls")),
    path("api/v1/", include("maintenance.api.urls")),
    path("api/v1/", include("reviews.api.urls")),
    path("api/v1/", include("surveys.api.urls")),
    path("api/v1/", include("support.api.urls")),
    path("api/v1/", include("tiers.api.urls")),
    path("api/v1/", include("incentives.api.urls")),
    path("api/v1/", include("dashboards.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
