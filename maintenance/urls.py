from django.urls import path, re_path

from . import views

app_name = "maintenance"

urlpatterns = [
    path("tasks/", views.MyTasksView.as_view(), name="my_tasks"),
    re_path(
        r"^tasks/(?P<pk>\d+)/(?P<action>complete|cancel|reassign)/$",
        views.TaskActionView.as_view(),
        name="task_action",
    ),
    path("interactions/", views.InteractionListView.as_view(), name="interaction_list"),
    path(
        "interactions/<int:pk>/",
        views.InteractionDetailView.as_view(),
        name="interaction_detail",
    ),
    path(
        "attachments/<int:pk>/", views.AttachmentDownloadView.as_view(), name="attachment_download"
    ),
    path("policies/", views.TierPolicyView.as_view(), name="tier_policies"),
    path(
        "partners/<int:pk>/interactions/new/",
        views.InteractionCreateView.as_view(),
        name="interaction_create",
    ),
    path("partners/<int:pk>/tasks/new/", views.PartnerTaskCreateView.as_view(), name="task_create"),
]
