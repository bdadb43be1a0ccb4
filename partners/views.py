"""Partner archive pages. Every object is reached through `Partner.objects.visible_to`,
so another portfolio's partner answers 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from channelhub.lib.requests import acting_user
from channelhub.lib.tabular import download
from maintenance.forms import people_who_see
from maintenance.models import MaintenanceTask
from reviews.summary import partner_reviews
from sales.performance import PartnerPerformance, partner_performance
from support.models import PartnerIssue
from surveys.models import SurveyResponse

from . import exporting, services
from .filtersets import PartnerFilterSet
from .forms import (
    ContactForm,
    ImportUploadForm,
    PartnerForm,
    StatusNoteForm,
    TerminateForm,
    TierChangeForm,
)
from .importing import COLUMNS
from .models import Contact, ImportBatch, Partner

TIMELINE_PAGE_SIZE = 20


class StaffViewMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """Signed in, holding the view's permission (else 403), and a partner lookup that
    answers 404 outside the user's portfolio."""

    raise_exception = True
    pk_is_partner = True  # False on pages whose `pk` is another object's
    request: HttpRequest
    kwargs: dict[str, Any]

    def visible_partners(self) -> QuerySet[Partner]:
        return Partner.objects.visible_to(self.request.user)

    def get_partner(self) -> Partner:
        return get_object_or_404(self.visible_partners(), pk=self.kwargs["pk"])

    def handle_no_permission(self) -> HttpResponseRedirect:
        if not self.request.user.is_authenticated:
            return redirect_to_login(
                self.request.get_full_path(), self.get_login_url(), self.get_redirect_field_name()
            )
        # Object pages of an invisible partner answer 404 before the permission is judged.
        if self.pk_is_partner and "pk" in self.kwargs:
            self.get_partner()
        return super().handle_no_permission()


def filtered_partners(request: HttpRequest) -> PartnerFilterSet:
    return PartnerFilterSet(
        request.GET, queryset=Partner.objects.visible_to(request.user).for_list(), request=request
    )


class PartnerListView(StaffViewMixin, ListView):
    permission_required = "partners.view_partner"
    paginate_by = 25
    context_object_name = "partners"

    def get_queryset(self) -> QuerySet[Partner]:
        self.filterset = filtered_partners(self.request)
        if not self.filterset.is_valid():
            return Partner.objects.none()
        return self.filterset.qs

    def paginate_queryset(self, queryset: Any, page_size: int) -> tuple:
        """A page number past the end (bookmarks, shrinking filters) shows the last page."""
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get("page"))
        return paginator, page, page.object_list, page.has_other_pages()

    def is_table_refresh(self) -> bool:
        htmx = self.request.htmx  # type: ignore[attr-defined]
        return bool(htmx) and not htmx.history_restore_request

    def get_template_names(self) -> list[str]:
        if self.is_table_refresh():
            return ["partners/partials/_partner_table.html"]
        return ["partners/partner_list.html"]

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        response = super().render_to_response(context, **kwargs)
        patch_vary_headers(response, ["HX-Request"])  # the same URL has two renderings
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(filterset=self.filterset, querystring=query.urlencode())
        return context


class PartnerDetailView(StaffViewMixin, TemplateView):
    permission_required = "partners.view_partner"
    template_name = "partners/partner_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        partner = get_object_or_404(
            self.visible_partners().select_related("owner").prefetch_related("tags", "specialists"),
            pk=self.kwargs["pk"],
        )
        user = self.request.user
        today = timezone.localdate()
        performance = partner_performance(partner, today=today)
        return {
            **super().get_context_data(**kwargs),
            "partner": partner,
            "performance": performance,
            "performance_chart": performance_chart_data(performance),
            "contacts": partner.contacts.all(),
            "tier_changes": partner.tier_changes.select_related("changed_by")[:20],
            "timeline": timeline_page(partner, 1),
            "open_tasks": MaintenanceTask.objects.open()
            .filter(partner=partner)
            .select_related("assignee"),
            "today": today,
            "reviews": partner_reviews(partner, today=today)
            if user.has_perm("reviews.view_businessreview")
            else None,
            "issues": PartnerIssue.objects.filter(partner=partner)
            .select_related("assignee")
            .order_by("-created_at")[:10]
            if user.has_perm("support.view_partnerissue")
            else None,
            "survey_answers": SurveyResponse.objects.filter(partner=partner)
            .select_related("survey")
            .order_by("-submitted_at")[:6]
            if user.has_perm("surveys.view_surveyresponse")
            else None,
            **tier_score_context(partner, user),
            "assignees": people_who_see(partner),
            "can_edit": user.has_perm("partners.change_partner"),
            "can_terminate": user.has_perm("partners.terminate_partner"),
            "can_change_tier": user.has_perm("partners.change_partner_tier"),
            "can_edit_contacts": user.has_perm("partners.change_contact"),
            "terminate_form": TerminateForm(initial={"version": partner.version}),
            "status_form": StatusNoteForm(initial={"version": partner.version}),
            "tier_form": TierChangeForm(initial={"version": partner.version}),
        }


def performance_chart_data(performance: PartnerPerformance) -> dict[str, Any]:
    """What the ECharts script draws; the same figures are in the table beside it."""
    return {
        "quarters": [str(figures.quarter) for figures in performance.quarters],
        "net_sales": [str(figures.net_sales) for figures in performance.quarters],
        "targets": [
            None if figures.target is None else str(figures.target)
            for figures in performance.quarters
        ],
        "labels": {"net_sales": _("Net sales"), "target": _("Target")},
    }


def tier_score_context(partner: Partner, user: Any) -> dict[str, Any]:
    """The partner's latest tier score, explained, and its latest proposal."""
    from tiers.models import TierProposal
    from tiers.views import explanation, latest_score

    if not user.has_perm("tiers.view_partnerscore"):
        return {}
    score = latest_score(partner.pk)
    return {
        "tier_score": explanation(score) if score else None,
        "tier_proposal": TierProposal.objects.filter(partner=partner).order_by("-pk").first(),
    }


def timeline_page(partner: Partner, number: int | str) -> Any:
    events = partner.events.select_related("actor")
    return Paginator(events, TIMELINE_PAGE_SIZE).get_page(number)


class PartnerTimelineView(StaffViewMixin, View):
    """The next page of a partner's timeline (htmx)."""

    permission_required = "partners.view_partner"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        page = timeline_page(self.get_partner(), request.GET.get("page", 1))
        return render(request, "partners/partials/_timeline.html", {"timeline": page})


class PartnerHistoryView(StaffViewMixin, TemplateView):
    """Every recorded version of the partner, with who changed it and when."""

    permission_required = "partners.view_partner"
    template_name = "partners/partner_history.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        partner = self.get_partner()
        records = list(partner.history.select_related("history_user")[:100])
        rows = []
        for newer, older in zip(records, [*records[1:], None], strict=True):
            delta = newer.diff_against(older) if older else None
            rows.append({"record": newer, "changes": delta.changes if delta else []})
        return {**super().get_context_data(**kwargs), "partner": partner, "rows": rows}


class PartnerFormMixin(StaffViewMixin):
    def form_kwargs(self) -> dict[str, Any]:
        user = self.request.user
        return {
            "can_assign_owner": user.has_perm("partners.assign_partner_owner"),
            "can_assign_specialists": user.has_perm("partners.assign_partner_specialists"),
            "can_set_tier": user.has_perm("partners.change_partner_tier"),
        }


class PartnerCreateView(PartnerFormMixin, View):
    permission_required = "partners.add_partner"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(PartnerForm(**self.form_kwargs()))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = PartnerForm(request.POST, **self.form_kwargs())
        contact_form = ContactForm(request.POST, prefix="contact")
        if not (form.is_valid() and contact_form.is_valid()):
            return self.render(form, contact_form)
        fields = {
            name: value
            for name, value in form.cleaned_data.items()
            if name not in ("specialists", "tags", "version")
        }
        user = acting_user(request)
        if "owner" not in form.fields:
            fields["owner"] = services.default_owner(user)
        try:
            partner = services.create_partner(
                created_by=user,
                specialists=form.cleaned_data.get("specialists", []),
                tags=form.cleaned_data["tags"],
                contacts=[services.ContactData(**contact_form.cleaned_data)],
                **fields,
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.render(form, contact_form)
        messages.success(request, _("Partner %(name)s created.") % {"name": partner})
        return redirect(partner)

    def render(self, form: PartnerForm, contact_form: ContactForm | None = None) -> HttpResponse:
        return render(
            self.request,
            "partners/partner_form.html",
            {"form": form, "contact_form": contact_form or ContactForm(prefix="contact")},
        )


class PartnerUpdateView(PartnerFormMixin, View):
    permission_required = "partners.change_partner"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        partner = self.get_partner()
        return self.render(partner, PartnerForm(instance=partner, **self.form_kwargs()))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        partner = self.get_partner()
        form = PartnerForm(request.POST, instance=partner, **self.form_kwargs())
        if not form.is_valid():
            return self.render(partner, form)
        changes = {
            name: value
            for name, value in form.cleaned_data.items()
            if name not in ("specialists", "tags", "version", "code")
        }
        try:
            services.update_partner(
                Partner.objects.get(pk=partner.pk),
                changed_by=acting_user(request),
                expected_version=form.cleaned_data["version"],
                specialists=form.cleaned_data.get("specialists"),
                tags=form.cleaned_data["tags"],
                **changes,
            )
        except services.ConcurrentEditError as error:
            form.add_error(None, str(error))
            return self.render(partner, form, status=409)
        except ValidationError as error:
            form.add_error(None, error)
            return self.render(partner, form)
        messages.success(request, _("Changes saved."))
        return redirect(partner)

    def render(self, partner: Partner, form: PartnerForm, status: int = 200) -> HttpResponse:
        return render(
            self.request,
            "partners/partner_form.html",
            {"form": form, "partner": partner},
            status=status,
        )


class PartnerActionView(StaffViewMixin, View):
    """A POST that changes a partner's status or tier through one service call."""

    form_class: type = StatusNoteForm

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        partner = self.get_partner()
        form = self.form_class(request.POST)
        if form.is_valid():
            try:
                self.perform(partner, form.cleaned_data)
                messages.success(request, _("Saved."))
            except services.ConcurrentEditError as error:
                messages.error(request, str(error))
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
        else:
            for field_errors in form.errors.values():
                messages.error(request, " ".join(field_errors))
        return redirect(partner)

    def perform(self, partner: Partner, data: dict[str, Any]) -> None:
        raise NotImplementedError


class PartnerTerminateView(PartnerActionView):
    permission_required = "partners.terminate_partner"
    form_class = TerminateForm

    def perform(self, partner: Partner, data: dict[str, Any]) -> None:
        services.terminate_partner(
            partner,
            terminated_by=acting_user(self.request),
            terminated_on=data["terminated_on"],
            reason=data["reason"],
            note=data["note"],
            expected_version=data["version"],
        )


class PartnerSuspendView(PartnerActionView):
    permission_required = "partners.terminate_partner"

    def perform(self, partner: Partner, data: dict[str, Any]) -> None:
        services.suspend_partner(
            partner,
            suspended_by=acting_user(self.request),
            note=data["note"],
            expected_version=data["version"],
        )


class PartnerReactivateView(PartnerActionView):
    permission_required = "partners.terminate_partner"

    def perform(self, partner: Partner, data: dict[str, Any]) -> None:
        services.reactivate_partner(
            partner,
            reactivated_by=acting_user(self.request),
            note=data["note"],
            expected_version=data["version"],
        )


class PartnerTierChangeView(PartnerActionView):
    permission_required = "partners.change_partner_tier"
    form_class = TierChangeForm

    def perform(self, partner: Partner, data: dict[str, Any]) -> None:
        services.change_tier(
            partner,
            to_tier=data["to_tier"],
            changed_by=acting_user(self.request),
            reason=data["reason"],
            effective_on=data["effective_on"],
            expected_version=data["version"],
        )


class ContactEditView(StaffViewMixin, View):
    """Add (no contact id) or change a contact of a visible partner."""

    def get_permission_required(self) -> list[str]:
        return [
            "partners.change_contact" if "contact_pk" in self.kwargs else "partners.add_contact"
        ]

    def get_contact(self, partner: Partner) -> Contact:
        if "contact_pk" not in self.kwargs:
            return Contact(partner=partner)
        return get_object_or_404(partner.contacts, pk=self.kwargs["contact_pk"])

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        partner = self.get_partner()
        contact = self.get_contact(partner)
        return self.render(partner, ContactForm(instance=contact))

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        partner = self.get_partner()
        form = ContactForm(request.POST, instance=self.get_contact(partner))
        if not form.is_valid():
            return self.render(partner, form)
        services.save_contact(form.instance, saved_by=acting_user(request))
        messages.success(request, _("Contact saved."))
        return redirect(partner)

    def render(self, partner: Partner, form: ContactForm) -> HttpResponse:
        return render(
            self.request, "partners/contact_form.html", {"partner": partner, "form": form}
        )


class ContactDeleteView(StaffViewMixin, View):
    permission_required = "partners.delete_contact"

    def post(self, request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
        partner = self.get_partner()
        contact = get_object_or_404(partner.contacts, pk=contact_pk)
        services.remove_contact(contact, removed_by=acting_user(request))
        messages.success(request, _("Contact removed."))
        return redirect(partner)


class PartnerExportView(StaffViewMixin, View):
    """The filtered list, as the user sees it, in .xlsx or .csv."""

    permission_required = "partners.export_partner"

    def get(self, request: HttpRequest, file_format: str) -> HttpResponse:
        filterset = filtered_partners(request)
        if not filterset.is_valid():
            raise Http404
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        if file_format == "csv":
            body = exporting.partners_csv(filterset.qs)
        else:
            body = exporting.partners_xlsx(filterset.qs)
        return download(body, f"partners-{stamp}.{file_format}")


class PartnerImportView(StaffViewMixin, FormView):
    """Step 1: upload a file; step 2 (same page): every row's errors, or what will be created."""

    permission_required = "partners.import_partner"
    form_class = ImportUploadForm
    template_name = "partners/partner_import.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "columns": COLUMNS}

    def form_valid(self, form: ImportUploadForm) -> HttpResponse:
        upload = form.cleaned_data["file"]
        if upload.size > self.max_bytes():
            form.add_error("file", _("The file is larger than 5 MB."))
            return self.form_invalid(form)
        batch = services.preview_partner_import(
            upload.read(),
            upload.name,
            uploaded_by=acting_user(self.request),
        )
        return redirect("partners:partner_import_preview", pk=batch.pk)

    def max_bytes(self) -> int:
        from django.conf import settings

        return settings.IMPORT_MAX_UPLOAD_BYTES


class PartnerImportPreviewView(StaffViewMixin, View):
    permission_required = "partners.import_partner"

    def get_batch(self) -> ImportBatch:
        return get_object_or_404(
            ImportBatch.objects.filter(uploaded_by=acting_user(self.request)), pk=self.kwargs["pk"]
        )

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        batch = self.get_batch()
        return render(request, "partners/partner_import_preview.html", {"batch": batch})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        batch = self.get_batch()
        try:
            partners = services.import_partners(batch, imported_by=acting_user(request))
        except services.ImportRejected as rejected:
            batch.errors = rejected.errors
            return render(
                request,
                "partners/partner_import_preview.html",
                {"batch": batch, "rejected": True},
                status=400,
            )
        messages.success(request, _("%(count)d partners imported.") % {"count": len(partners)})
        return HttpResponseRedirect(reverse("partners:partner_list"))


class ImportTemplateView(StaffViewMixin, View):
    """An empty workbook with the import columns, in the user's language."""

    permission_required = "partners.import_partner"

    def get(self, request: HttpRequest) -> HttpResponse:
        return download(exporting.import_template_xlsx(), "partner-import-template.xlsx")
