from django.urls import path

from . import views

app_name = "sales"

urlpatterns = [
    path("catalogue/", views.CatalogueView.as_view(), name="catalogue"),
    path("catalogue/import/", views.CatalogueImportView.as_view(), name="catalogue_import"),
    path("catalogue/categories/new/", views.CategoryEditView.as_view(), name="category_create"),
    path(
        "catalogue/categories/<int:pk>/edit/",
        views.CategoryEditView.as_view(),
        name="category_update",
    ),
    path("catalogue/products/", views.ProductListView.as_view(), name="product_list"),
    path("catalogue/products/new/", views.ProductEditView.as_view(), name="product_create"),
    path(
        "catalogue/products/<int:pk>/edit/", views.ProductEditView.as_view(), name="product_update"
    ),
    path("imports/", views.SalesImportView.as_view(), name="sales_import"),
    path(
        "imports/template.xlsx",
        views.SalesImportTemplateView.as_view(),
        name="sales_import_template",
    ),
    path("imports/<int:pk>/", views.SalesImportDetailView.as_view(), name="sales_import_detail"),
    path(
        "imports/<int:pk>/errors.csv",
        views.SalesImportErrorsView.as_view(),
        name="sales_import_errors",
    ),
    path("targets/", views.TargetListView.as_view(), name="target_list"),
    path("targets/import/", views.TargetImportView.as_view(), name="target_import"),
    path("targets/template.xlsx", views.TargetTemplateView.as_view(), name="target_template"),
    path("partners/<int:pk>/targets/", views.PartnerTargetsView.as_view(), name="partner_targets"),
]
