from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from surveys import views as survey_views

from . import views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="partners:partner_list"), name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("partners/", include("partners.urls")),
    path("sales/", include("sales.urls")),
    path("maintenance/", include("maintenance.urls")),
    path("reminders/", include("reminders.urls")),
    path("reviews/", include("reviews.urls")),
    path("surveys/", include("surveys.urls")),
    path("support/", include("support.urls")),
    path("tiers/", include("tiers.urls")),
    path("rebates/", include("incentives.urls")),
    path("dashboards/", include("dashboards.urls")),
    path("survey/", survey_views.answer_survey, name="survey_answer"),
    path("admin/", admin.site.urls),
    path("", include("channelhub.api.urls")),
]

admin.site.site_header = "ChannelHub"
admin.site.site_title = "ChannelHub"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
