from django.urls import path, re_path

from . import views

app_name = "reviews"

urlpatterns = [
    path("", views.ReviewListView.as_view(), name="review_list"),
    path("plan/", views.PlanQuarterView.as_view(), name="plan_quarter"),
    path("completion/", views.CompletionView.as_view(), name="completion"),
    path("weights/", views.WeightsView.as_view(), name="weights"),
    path("<int:pk>/", views.ReviewDetailView.as_view(), name="review_detail"),
    re_path(
        r"^(?P<pk>\d+)/(?P<step>schedule|record|hold|close|cancel|attach)/$",
        views.ReviewStepView.as_view(),
        name="review_step",
    ),
    path("<int:pk>/actions/new/", views.ActionCreateView.as_view(), name="action_create"),
    re_path(
        r"^actions/(?P<pk>\d+)/(?P<step>complete|cancel)/$",
        views.ActionStepView.as_view(),
        name="action_step",
    ),
    path(
        "attachments/<int:pk>/", views.AttachmentDownloadView.as_view(), name="attachment_download"
    ),
    path(
        "partners/<int:pk>/new/",
        views.PartnerReviewCreateView.as_view(),
        name="partner_review_create",
    ),
]
