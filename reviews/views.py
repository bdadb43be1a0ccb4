"""Pages of business reviews: the list with its filters and the quarter's completion, one
review (plan, hold, score, act, close), action items, the scorecard weights."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from channelhub.lib.periods import Quarter
from channelhub.lib.requests import acting_user, posted_next
from maintenance.views import VisibleObjectMixin, attachment_response
from partners.choices import Tier
from partners.views import StaffViewMixin
from reminders.models import Team
from sales.performance import quarter_review_figures

from . import services
from .choices import ReviewStatus
from .filtersets import ReviewFilterSet
from .forms import (
    ActionForm,
    AttachmentForm,
    CancelForm,
    HoldForm,
    NoteForm,
    PlanPartnerForm,
    RecordForm,
    ScheduleForm,
    WeightsForm,
)
from .kpis import review_completion
from .models import BusinessReview, ReviewAction, ReviewAttachment, ScorecardWeights
from .summary import carried_over_actions

REVIEW_PAGE_SIZE = 50


def chosen_quarter(request: HttpRequest, name: str = "period") -> Quarter:
    return Quarter.parse(request.GET.get(name, "")) or Quarter.of(timezone.localdate())


def add_service_error(form: Any, error: ValidationError) -> None:
    """A service's error on the form: under the field it names when the form has it, else
    above the form (the service may name a model field the form calls otherwise)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class ReviewListView(StaffViewMixin, TemplateView):
    permission_required = "reviews.view_businessreview"
    template_name = "reviews/review_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        request = self.request
        data = request.GET.copy()
        data.setdefault("period", str(Quarter.of(timezone.localdate())))
        visible = BusinessReview.objects.visible_to(request.user)
        filterset = ReviewFilterSet(
            data, queryset=visible.select_related("partner", "manager"), request=request
        )
        reviews = filterset.qs if filterset.is_valid() else BusinessReview.objects.none()
        query = data.copy()
        query.pop("page", None)
        quarter = chosen_quarter(request)
        completion = review_completion(quarter, visible)
        return {
            **super().get_context_data(**kwargs),
            "filterset": filterset,
            "page": Paginator(reviews, REVIEW_PAGE_SIZE).get_page(request.GET.get("page")),
            "querystring": query.urlencode(),
            "quarter": quarter,
            "completion": completion,
            "today": timezone.localdate(),
        }


class PlanQuarterView(StaffViewMixin, View):
    """Plan a quarter's reviews now (beat does it on the quarter's first day)."""

    permission_required = "reviews.plan_quarter"

    def post(self, request: HttpRequest) -> HttpResponse:
        form = PlanPartnerForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Give the quarter as 2026Q4."))
            return redirect("reviews:review_list")
        quarter = form.cleaned_data["quarter"]
        created = services.plan_quarter(quarter, planned_by=acting_user(request))
        messages.success(
            request,
            _("%(count)d reviews planned for %(quarter)s.")
            % {"count": created, "quarter": quarter},
        )
        return redirect(f"{reverse('reviews:review_list')}?period={quarter}")


class PartnerReviewCreateView(StaffViewMixin, View):
    """Plan one partner's review for a quarter."""

    permission_required = "reviews.add_businessreview"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        partner = self.get_partner()
        form = PlanPartnerForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Give the quarter as 2026Q4."))
            return redirect(partner)
        try:
            review = services.plan_review(
                partner, quarter=form.cleaned_data["quarter"], planned_by=acting_user(request)
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(partner)
        messages.success(request, _("Review planned: choose its date."))
        return redirect(review)


class ReviewDetailView(VisibleObjectMixin, TemplateView):
    permission_required = "reviews.view_businessreview"
    template_name = "reviews/review_detail.html"
    model = BusinessReview

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        review = self.get_object()
        return {**super().get_context_data(**kwargs), **review_page_context(self.request, review)}


def record_form(review: BusinessReview, data: Any = None) -> RecordForm:
    """Notes and requests; the scorecard too once the review has been held."""
    return RecordForm(data, instance=review, with_scorecard=review.status != ReviewStatus.PLANNED)


def review_page_context(
    request: HttpRequest, review: BusinessReview, **forms: Any
) -> dict[str, Any]:
    """What the review page shows; `forms` replaces a form with the one that failed."""
    partner = review.partner
    frozen = review.figures is not None
    figures = review.figures if frozen else quarter_review_figures(partner.pk, review.period)
    can_change = request.user.has_perm("reviews.change_businessreview") and review.is_editable
    weights = review.weights or services.current_weights().as_dict()
    record = forms.get("record_form") or record_form(review)
    return {
        "review": review,
        "partner": partner,
        "today": timezone.localdate(),
        "figures": figures,
        "frozen": frozen,
        "live_changes": services.figure_changes(review) if frozen else {},
        "staff": review.staff.all(),
        "contacts": review.contacts.all(),
        "attachments": review.attachments.all(),
        "actions": review.actions.select_related("owner_user", "owner_contact"),
        "carried_over": carried_over_actions(review),
        "history": review.history.select_related("history_user").order_by("-history_date")[:20],
        "can_change": can_change,
        "can_act": request.user.has_perm("reviews.change_reviewaction"),
        "schedule_form": forms.get("schedule_form")
        or ScheduleForm(instance=review, partner=partner),
        "record_form": record,
        "scorecard_rows": record.scorecard_rows(weights),
        "hold_form": forms.get("hold_form") or HoldForm(),
        "cancel_form": forms.get("cancel_form") or CancelForm(),
        "attach_form": forms.get("attach_form") or AttachmentForm(),
        "action_form": forms.get("action_form") or ActionForm(partner=partner),
        "weights": weights,
    }


class ReviewStepView(VisibleObjectMixin, View):
    """One step of a review: schedule, record (notes and scorecard), hold, close, cancel,
    attach files. A form with errors shows the page again with them."""

    permission_required = "reviews.change_businessreview"
    model = BusinessReview

    def post(self, request: HttpRequest, pk: int, step: str) -> HttpResponse:
        review = self.get_object()
        form = self.step_form(review, step)
        if form.is_valid():
            try:
                getattr(self, f"perform_{step}")(review, form.cleaned_data, acting_user(request))
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect(review)
        if step == "close":  # a button, no fields: the reason goes above the page
            messages.error(request, " ".join(form.non_field_errors()))
            return redirect(review)
        review.refresh_from_db()
        context = review_page_context(request, review, **{f"{step}_form": form})
        return render(request, "reviews/review_detail.html", context, status=400)

    def step_form(self, review: BusinessReview, step: str) -> Any:
        data = self.request.POST
        if step == "schedule":
            return ScheduleForm(data, instance=review, partner=review.partner)
        if step == "record":
            return record_form(review, data)
        if step == "attach":
            return AttachmentForm(data, self.request.FILES)
        return {"hold": HoldForm, "cancel": CancelForm, "close": NoteForm}[step](data)

    def perform_schedule(self, review: BusinessReview, data: dict[str, Any], user: Any) -> None:
        services.schedule_review(review, scheduled_by=user, **data)

    def perform_record(self, review: BusinessReview, data: dict[str, Any], user: Any) -> None:
        scores = {key[:-6]: value for key, value in data.items() if key.endswith("_score")}
        comments = {key[:-8]: value for key, value in data.items() if key.endswith("_comment")}
        services.record_review(
            review,
            recorded_by=user,
            notes=data["notes"],
            partner_requests=data["partner_requests"],
            scores=scores or None,
            comments=comments or None,
        )

    def perform_hold(self, review: BusinessReview, data: dict[str, Any], user: Any) -> None:
        services.hold_review(review, held_by=user, held_on=data["held_on"])

    def perform_cancel(self, review: BusinessReview, data: dict[str, Any], user: Any) -> None:
        services.cancel_review(review, cancelled_by=user, reason=data["reason"])

    def perform_attach(self, review: BusinessReview, data: dict[str, Any], user: Any) -> None:
        services.add_attachments(review, uploaded_by=user, uploads=data["attachments"])

    def perform_close(self, review: BusinessReview, data: dict[str, Any], user: Any) -> None:
        services.close_review(review, closed_by=user)


class ActionCreateView(VisibleObjectMixin, View):
    """Add an action item to a held review (`pk` is the review's)."""

    permission_required = "reviews.add_reviewaction"
    model = BusinessReview

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        review = self.get_object()
        form = ActionForm(request.POST, partner=review.partner)
        if form.is_valid():
            try:
                services.add_action(
                    review,
                    created_by=acting_user(request),
                    title=form.cleaned_data["title"],
                    due_on=form.cleaned_data["due_on"],
                    **form.owners(),
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("Action item added."))
                return redirect(f"{review.get_absolute_url()}#actions")
        context = review_page_context(request, review, action_form=form)
        return render(request, "reviews/review_detail.html", context, status=400)


class ActionStepView(VisibleObjectMixin, View):
    """Complete or cancel an open action item; back to the page it was done from."""

    permission_required = "reviews.change_reviewaction"
    model = ReviewAction

    def post(self, request: HttpRequest, pk: int, step: str) -> HttpResponse:
        action = self.get_object()
        form = NoteForm(request.POST)
        if form.is_valid():
            user, note = acting_user(request), form.cleaned_data["note"]
            try:
                if step == "complete":
                    services.complete_action(action, completed_by=user, note=note)
                else:
                    services.cancel_action(action, cancelled_by=user, note=note)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("Saved."))
        return redirect(posted_next(request, action.review.get_absolute_url()))


class AttachmentDownloadView(StaffViewMixin, View):
    permission_required = "reviews.view_businessreview"
    pk_is_partner = False

    def get(self, request: HttpRequest, pk: int) -> FileResponse:
        attachment = get_object_or_404(
            ReviewAttachment.objects.filter(
                review__in=BusinessReview.objects.visible_to(request.user)
            ),
            pk=pk,
        )
        return attachment_response(attachment)


class CompletionView(StaffViewMixin, TemplateView):
    """Review completion of a quarter per manager, team and tier (of the reviews the user
    sees: a manager sees their own portfolio's)."""

    permission_required = "reviews.view_businessreview"
    template_name = "reviews/completion.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from django.contrib.auth import get_user_model

        quarter = chosen_quarter(self.request)
        completion = review_completion(
            quarter, BusinessReview.objects.visible_to(self.request.user)
        )
        people = get_user_model().objects.in_bulk(list(completion.managers))
        teams = {team.pk: team for team in Team.objects.all()}
        team_rows = [
            (teams[pk], kpi) for pk, kpi in completion.teams(Team.member_ids()).items() if kpi.due
        ]
        return {
            **super().get_context_data(**kwargs),
            "quarter": quarter,
            "quarters": [Quarter.of(timezone.localdate()) - offset for offset in range(8)],
            "total": completion.total,
            "manager_rows": sorted(
                ((people[pk], kpi) for pk, kpi in completion.managers.items()),
                key=lambda row: str(row[0]),
            ),
            "team_rows": sorted(team_rows, key=lambda row: row[0].name),
            "tier_rows": [
                (label, completion.tiers[tier]) for tier, label in Tier.choices
                if tier in completion.tiers
            ],
        }  # fmt: skip


class WeightsView(StaffViewMixin, View):
    permission_required = "reviews.view_scorecardweights"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(WeightsForm(instance=services.current_weights()))

    def post(self, request: HttpRequest) -> HttpResponse | HttpResponseRedirect:
        if not request.user.has_perm("reviews.change_scorecardweights"):
            return self.handle_no_permission()
        form = WeightsForm(request.POST, instance=services.current_weights())
        if form.is_valid():
            services.update_weights(changed_by=acting_user(request), **form.cleaned_data)
            messages.success(request, _("Weights saved; reviews closed from now on use them."))
            return redirect("reviews:weights")
        return self.render(form, status=400)

    def render(self, form: WeightsForm, status: int = 200) -> HttpResponse:
        history: QuerySet = ScorecardWeights.history.select_related("history_user").order_by(
            "-history_date"
        )[:20]
        context = {
            "form": form,
            "history": history,
            "can_edit": self.request.user.has_perm("reviews.change_scorecardweights"),
        }
        return render(self.request, "reviews/weights.html", context, status=status)
