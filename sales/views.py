"""Pages of the sales data: the catalogue (a sales VP edits it), the sales import with its
progress, and the annual targets."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from channelhub.lib.requests import acting_user
from channelhub.lib.tabular import download, write_xlsx
from partners.views import StaffViewMixin

from . import imports, services
from .forms import (
    CatalogueImportForm,
    CategoryForm,
    ProductForm,
    SalesImportForm,
    TargetForm,
    TargetImportForm,
)
from .importing import COLUMNS as SALES_COLUMNS
from .models import Category, Product, SalesImport, SalesTarget


class SalesStaffMixin(StaffViewMixin):
    """Signed in and holding the permission; `pk` names a catalogue object or an import."""

    pk_is_partner = False


# --- Catalogue --------------------------------------------------------------------------


class CatalogueView(SalesStaffMixin, TemplateView):
    """The category tree with the number of products in each."""

    permission_required = "sales.view_category"
    template_name = "sales/catalogue.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        categories = list(
            Category.objects.annotate(direct_count=Count("products")).order_by("path")
        )
        totals: dict[str, int] = {}
        for category in categories:  # each category's products count for all its ancestors
            for ancestor in category.path.strip("/").split("/"):
                totals[ancestor] = totals.get(ancestor, 0) + category.direct_count
        for category in categories:
            category.product_count = totals[str(category.pk)]
        return {**super().get_context_data(**kwargs), "categories": categories}


class CatalogueEditView(SalesStaffMixin, View):
    """Add (no `pk`) or change a catalogue object; it is saved by `save` (a service that
    keeps its history and, for a category, the tree)."""

    model: type[Category] | type[Product]
    form_class: type[CategoryForm] | type[ProductForm]
    success_url: str
    success_message: str | Promise
    title_new: str | Promise
    title_edit: str | Promise

    def get_permission_required(self) -> list[str]:
        action = "change" if "pk" in self.kwargs else "add"
        return [f"sales.{action}_{self.model._meta.model_name}"]

    def get_object(self) -> Any:
        if "pk" not in self.kwargs:
            return self.model()
        return get_object_or_404(self.model, pk=self.kwargs["pk"])

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return self.render(self.form_class(instance=self.get_object()))

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        form = self.form_class(request.POST, instance=self.get_object())
        if form.is_valid():
            try:
                self.save(form.instance, saved_by=acting_user(request))
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, str(self.success_message))
                return redirect(self.success_url)
        return self.render(form)

    def save(self, instance: Any, *, saved_by: Any) -> None:
        raise NotImplementedError

    def render(self, form: CategoryForm | ProductForm) -> HttpResponse:
        instance = form.instance
        title = f"{self.title_edit} · {instance}" if instance.pk else self.title_new
        context = {"form": form, "title": title, "cancel_url": reverse(self.success_url)}
        return render(self.request, "sales/catalogue_form.html", context)


class CategoryEditView(CatalogueEditView):
    model = Category
    form_class = CategoryForm
    success_url = "sales:catalogue"
    success_message = gettext_lazy("Category saved.")
    title_new = gettext_lazy("New category")
    title_edit = gettext_lazy("Edit category")

    def save(self, instance: Any, *, saved_by: Any) -> None:
        services.save_category(instance, saved_by=saved_by)


class ProductListView(SalesStaffMixin, TemplateView):
    permission_required = "sales.view_product"
    template_name = "sales/product_list.html"
    page_size = 50

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        products: QuerySet[Product] = Product.objects.select_related("category")
        text = self.request.GET.get("q", "").strip()
        if text:
            products = products.filter(Q(code__icontains=text) | Q(name__icontains=text))
        chosen = self.request.GET.get("category", "")
        category = Category.objects.filter(pk=chosen).first() if chosen.isdigit() else None
        if category:
            products = products.filter(category__in=Category.objects.subtree(category))
        query = self.request.GET.copy()
        query.pop("page", None)
        return {
            **super().get_context_data(**kwargs),
            "page": Paginator(products, self.page_size).get_page(self.request.GET.get("page")),
            "categories": Category.objects.all(),
            "selected_category": category,
            "text": text,
            "querystring": query.urlencode(),
        }


class ProductEditView(CatalogueEditView):
    model = Product
    form_class = ProductForm
    success_url = "sales:product_list"
    success_message = gettext_lazy("Product saved.")
    title_new = gettext_lazy("New product")
    title_edit = gettext_lazy("Edit product")

    def save(self, instance: Any, *, saved_by: Any) -> None:
        services.save_product(instance, saved_by=saved_by)


class SpreadsheetImportView(SalesStaffMixin, View):
    """Upload a spreadsheet that is imported all or nothing at once: the errors row by row
    on the same page, or a count of what was added and changed."""

    form_class: type[forms.Form]
    template_name: str
    success_url: str
    extra_context: dict[str, Any] = {}

    def import_file(self, form: forms.Form, content: bytes, name: str) -> imports.ImportResult:
        raise NotImplementedError

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(self.form_class())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = self.form_class(request.POST, request.FILES)
        if not form.is_valid():
            return self.render(form)
        upload = form.cleaned_data["file"]
        result = self.import_file(form, upload.read(), upload.name)
        if result.errors.count:
            return self.render(form, result, status=400)
        messages.success(
            request,
            _("%(created)d added, %(updated)d changed.")
            % {"created": result.created, "updated": result.updated},
        )
        return redirect(self.success_url)

    def render(
        self, form: forms.Form, result: imports.ImportResult | None = None, status: int = 200
    ) -> HttpResponse:
        context = {"form": form, "result": result, **self.extra_context}
        return render(self.request, self.template_name, context, status=status)


class CatalogueImportView(SpreadsheetImportView):
    """Categories or products from a spreadsheet."""

    permission_required = ["sales.change_category", "sales.change_product"]
    form_class = CatalogueImportForm
    template_name = "sales/catalogue_import.html"
    success_url = "sales:catalogue"
    extra_context = {
        "category_columns": imports.CATEGORY_COLUMNS,
        "product_columns": imports.PRODUCT_COLUMNS,
    }

    def import_file(self, form: forms.Form, content: bytes, name: str) -> imports.ImportResult:
        importer = (
            imports.import_categories
            if form.cleaned_data["kind"] == "categories"
            else imports.import_products
        )
        return importer(content, name, imported_by=acting_user(self.request))


# --- Sales import -----------------------------------------------------------------------


class SalesImportView(SalesStaffMixin, View):
    """Upload a file of sales lines; a Celery worker imports it while the page shows how far
    it is. Below the form: the latest imports."""

    permission_required = "sales.import_salesline"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(SalesImportForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SalesImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render(form)
        upload = form.cleaned_data["file"]
        if upload.size > settings.SALES_IMPORT_MAX_UPLOAD_BYTES:
            form.add_error(
                "file",
                _("The file is larger than %(limit)d MB.")
                % {"limit": settings.SALES_IMPORT_MAX_UPLOAD_BYTES // (1024 * 1024)},
            )
            return self.render(form)
        batch = services.queue_sales_import(
            upload,
            file_name=upload.name,
            imported_by=acting_user(request),
            source=form.cleaned_data["source"],
        )
        return redirect("sales:sales_import_detail", pk=batch.pk)

    def render(self, form: SalesImportForm) -> HttpResponse:
        recent = SalesImport.objects.select_related("uploaded_by")[:20]
        return render(
            self.request,
            "sales/sales_import.html",
            {"form": form, "imports": recent, "columns": SALES_COLUMNS},
        )


class SalesImportDetailView(SalesStaffMixin, View):
    permission_required = "sales.view_salesimport"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        batch = get_object_or_404(SalesImport, pk=pk)
        context = {"batch": batch, "progress": services.import_progress(batch)}
        if request.htmx:  # type: ignore[attr-defined]
            response = render(request, "sales/partials/_import_progress.html", context)
            if batch.is_finished:
                response["HX-Refresh"] = "true"  # the whole page shows the result
            return response
        return render(request, "sales/sales_import_detail.html", context)


class SalesImportErrorsView(SalesStaffMixin, View):
    """Every error of a refused import, as CSV (row, column, problem)."""

    permission_required = "sales.view_salesimport"

    def get(self, request: HttpRequest, pk: int) -> FileResponse:
        batch = get_object_or_404(SalesImport, pk=pk)
        if not batch.error_report:
            raise Http404
        return FileResponse(
            batch.error_report.open("rb"),
            as_attachment=True,
            filename=f"sales-import-{batch.pk}-errors.csv",
            content_type="text/csv; charset=utf-8",
        )


class SalesImportTemplateView(SalesStaffMixin, View):
    permission_required = "sales.import_salesline"

    def get(self, request: HttpRequest) -> HttpResponse:
        header = [str(label) for label in SALES_COLUMNS.values()]
        return download(write_xlsx(_("Sales lines"), header, []), "sales-lines.xlsx")


# --- Targets ----------------------------------------------------------------------------


class TargetListView(SalesStaffMixin, TemplateView):
    """The targets of the partners the user sees, for one year."""

    permission_required = "sales.view_salestarget"
    template_name = "sales/target_list.html"
    page_size = 50

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from partners.models import Partner

        years = sorted(set(SalesTarget.objects.values_list("year", flat=True)), reverse=True)
        try:
            year = int(self.request.GET.get("year") or (years[0] if years else 0))
        except ValueError:
            year = 0
        targets = (
            SalesTarget.objects.filter(
                year=year, partner__in=Partner.objects.visible_to(self.request.user)
            )
            .select_related("partner", "category", "set_by")
            .order_by("partner__code", "category__path")
        )
        text = self.request.GET.get("q", "").strip()
        if text:
            targets = targets.filter(
                Q(partner__code__icontains=text) | Q(partner__short_name__icontains=text)
            )
        return {
            **super().get_context_data(**kwargs),
            "years": years,
            "year": year,
            "text": text,
            "page": Paginator(targets, self.page_size).get_page(self.request.GET.get("page")),
            "querystring": f"year={year}&q={text}",
        }


class PartnerTargetsView(StaffViewMixin, View):
    """A partner's targets by year, their change history, and (for its owner manager or a
    sales VP) the form to set one."""

    permission_required = "sales.view_salestarget"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.render(self.get_partner(), TargetForm())

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        partner = self.get_partner()
        user = acting_user(request)
        if not services.may_set_targets(user, partner):
            messages.error(request, _("Only the owner manager or a sales VP sets targets."))
            return self.render(partner, TargetForm(), status=403)
        form = TargetForm(request.POST)
        if form.is_valid():
            try:
                services.set_target(
                    partner,
                    year=form.cleaned_data["year"],
                    amount=form.cleaned_data["amount"],
                    category=form.cleaned_data["category"],
                    quarters=form.quarters(),
                    set_by=user,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Target saved."))
                return redirect("sales:partner_targets", pk=partner.pk)
        return self.render(partner, form, status=400)

    def render(self, partner: Any, form: TargetForm, status: int = 200) -> HttpResponse:
        targets = partner.sales_targets.select_related("category", "set_by").order_by(
            "-year", "category__path"
        )
        history = (
            SalesTarget.history.filter(partner_id=partner.pk)
            .select_related("history_user", "category")
            .order_by("-history_date")[:50]
        )
        context = {
            "partner": partner,
            "targets": targets,
            "history": history,
            "form": form,
            "can_set": services.may_set_targets(acting_user(self.request), partner),
        }
        return render(self.request, "sales/partner_targets.html", context, status=status)


class TargetImportView(SpreadsheetImportView):
    permission_required = "sales.change_salestarget"
    form_class = TargetImportForm
    template_name = "sales/target_import.html"
    success_url = "sales:target_list"
    extra_context = {"columns": imports.TARGET_COLUMNS}

    def import_file(self, form: forms.Form, content: bytes, name: str) -> imports.ImportResult:
        return imports.import_targets(content, name, imported_by=acting_user(self.request))


class TargetTemplateView(SalesStaffMixin, View):
    permission_required = "sales.change_salestarget"

    def get(self, request: HttpRequest) -> HttpResponse:
        header = [str(label) for label in imports.TARGET_COLUMNS.values()]
        return download(write_xlsx(_("Targets"), header, []), "targets.xlsx")
