from django.urls import path, re_path

from . import views

app_name = "partners"

urlpatterns = [
    path("", views.PartnerListView.as_view(), name="partner_list"),
    path("new/", views.PartnerCreateView.as_view(), name="partner_create"),
    re_path(
        r"^export\.(?P<file_format>csv|xlsx)$",
        views.PartnerExportView.as_view(),
        name="partner_export",
    ),
    path("import/", views.PartnerImportView.as_view(), name="partner_import"),
    path(
        "import/template.xlsx", views.ImportTemplateView.as_view(), name="partner_import_template"
    ),
    path(
        "import/<int:pk>/", views.PartnerImportPreviewView.as_view(), name="partner_import_preview"
    ),
    path("<int:pk>/", views.PartnerDetailView.as_view(), name="partner_detail"),
    path("<int:pk>/edit/", views.PartnerUpdateView.as_view(), name="partner_update"),
    path("<int:pk>/timeline/", views.PartnerTimelineView.as_view(), name="partner_timeline"),
    path("<int:pk>/history/", views.PartnerHistoryView.as_view(), name="partner_history"),
    path("<int:pk>/terminate/", views.PartnerTerminateView.as_view(), name="partner_terminate"),
    path("<int:pk>/suspend/", views.PartnerSuspendView.as_view(), name="partner_suspend"),
    path("<int:pk>/reactivate/", views.PartnerReactivateView.as_view(), name="partner_reactivate"),
    path("<int:pk>/tier/", views.PartnerTierChangeView.as_view(), name="partner_change_tier"),
    path("<int:pk>/contacts/new/", views.ContactEditView.as_view(), name="contact_create"),
    path(
        "<int:pk>/contacts/<int:contact_pk>/edit/",
        views.ContactEditView.as_view(),
        name="contact_update",
    ),
    path(
        "<int:pk>/contacts/<int:contact_pk>/delete/",
        views.ContactDeleteView.as_view(),
        name="contact_delete",
    ),
]
