"""Pages of proactive maintenance: logging interactions (a visit report that works on a
phone), "my tasks", ad-hoc tasks, and the tier policies a sales VP edits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Q, QuerySet, When
from django.forms import modelformset_factory
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from channelhub.lib.periods import Quarter
from channelhub.lib.requests import acting_user, posted_next
from partners.choices import Tier
from partners.views import StaffViewMixin
from reminders.models import Team
from reviews.summary import my_reviews
from support.models import PartnerIssue

from . import services
from .choices import InteractionKind, TaskStatus
from .forms import AdhocTaskForm, InteractionForm, ReassignForm, TaskNoteForm, TierPolicyForm
from .kpis import team_timeliness, timeliness_by_assignee
from .models import Attachment, Interaction, InteractionAttachment, MaintenanceTask, TierPolicy


class VisibleObjectMixin(StaffViewMixin):
    """`pk` names an object under a partner: outside the user's portfolio it answers 404,
    before the permission is judged."""

    pk_is_partner = False
    model: Any

    def get_object(self) -> Any:
        return get_object_or_404(
            self.model.objects.visible_to(self.request.user).select_related("partner"),
            pk=self.kwargs["pk"],
        )

    def handle_no_permission(self) -> HttpResponseRedirect:
        if self.request.user.is_authenticated and "pk" in self.kwargs:
            self.get_object()
        return super().handle_no_permission()


class InteractionCreateView(StaffViewMixin, View):
    permission_required = "maintenance.add_interaction"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        partner = self.get_partner()
        kind = request.GET.get("kind")
        initial = {"kind": kind} if kind in InteractionKind.values else {}
        return self.render(partner, InteractionForm(partner=partner, initial=initial))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        partner = self.get_partner()
        form = InteractionForm(request.POST, request.FILES, partner=partner)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.log_interaction(
                    partner,
                    logged_by=acting_user(request),
                    kind=data["kind"],
                    channel=data["channel"],
                    occurred_at=data["occurred_at"],
                    summary=data["summary"],
                    next_steps=data["next_steps"],
                    follow_up_on=data["follow_up_on"],
                    staff=data["staff"],
                    contacts=data["contacts"],
                    attachments=data["attachments"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Interaction logged."))
                return redirect(partner)
        return self.render(partner, form, status=400)

    def render(self, partner: Any, form: InteractionForm, status: int = 200) -> HttpResponse:
        context = {"partner": partner, "form": form}
        return render(self.request, "maintenance/interaction_form.html", context, status=status)


class InteractionListView(StaffViewMixin, TemplateView):
    permission_required = "maintenance.view_interaction"
    template_name = "maintenance/interaction_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        interactions: QuerySet[Interaction] = Interaction.objects.visible_to(
            self.request.user
        ).select_related("partner", "logged_by")
        text = self.request.GET.get("q", "").strip()
        if text:
            interactions = interactions.filter(
                Q(partner__code__icontains=text)
                | Q(partner__legal_name__icontains=text)
                | Q(summary__icontains=text)
            )
        kind = self.request.GET.get("kind", "")
        if kind in InteractionKind.values:
            interactions = interactions.filter(kind=kind)
        query = self.request.GET.copy()
        query.pop("page", None)
        return {
            **super().get_context_data(**kwargs),
            "page": Paginator(interactions, 50).get_page(self.request.GET.get("page")),
            "text": text,
            "kind": kind,
            "kinds": InteractionKind.choices,
            "querystring": query.urlencode(),
        }


class InteractionDetailView(VisibleObjectMixin, TemplateView):
    permission_required = "maintenance.view_interaction"
    template_name = "maintenance/interaction_detail.html"
    model = Interaction

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        interaction = self.get_object()
        return {
            **super().get_context_data(**kwargs),
            "interaction": interaction,
            "staff": interaction.staff.all(),
            "contacts": interaction.contacts.all(),
            "attachments": interaction.attachments.all(),
        }


class AttachmentDownloadView(StaffViewMixin, View):
    permission_required = "maintenance.view_interaction"
    pk_is_partner = False

    def get(self, request: HttpRequest, pk: int) -> FileResponse:
        attachment = get_object_or_404(
            InteractionAttachment.objects.filter(
                interaction__in=Interaction.objects.visible_to(request.user)
            ),
            pk=pk,
        )
        return attachment_response(attachment)


def attachment_response(attachment: Attachment) -> FileResponse:
    """The file under its own name: photos shown in the browser, anything else downloaded,
    never sniffed into something else."""
    response = FileResponse(
        attachment.file.open("rb"),  # type: ignore[attr-defined]
        filename=attachment.name,
        content_type=attachment.content_type,
        as_attachment=not attachment.content_type.startswith("image/"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


class MyTasksView(StaffViewMixin, TemplateView):
    """The user's maintenance tasks: overdue, due this week, later, and recently done, with
    their timeliness this quarter against the team's."""

    permission_required = "maintenance.view_maintenancetask"
    template_name = "maintenance/my_tasks.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.request.user
        today = timezone.localdate()
        mine = MaintenanceTask.objects.visible_to(user).filter(assignee=user)
        partner_id = self.request.GET.get("partner")
        if partner_id and partner_id.isdigit():
            mine = mine.filter(partner_id=partner_id)
        mine = mine.select_related("partner").exclude(partner__status="terminated")
        week_end = today + timedelta(days=6 - today.weekday())
        quarter = Quarter.of(today)
        team = timeliness_by_assignee(quarter.start, quarter.end)
        teams = Team.objects.filter(members=acting_user(self.request)).prefetch_related("members")
        my_teams = {t.pk: [member.pk for member in t.members.all()] for t in teams}
        team_kpi = (
            team_timeliness({0: sorted({m for ms in my_teams.values() for m in ms})}, team)[0]
            if my_teams
            else team.total
        )
        return {
            **super().get_context_data(**kwargs),
            "today": today,
            "overdue": mine.overdue(today),
            "this_week": mine.open().filter(due_on__gte=today, due_on__lte=week_end),
            "later": mine.open().filter(due_on__gt=week_end)[:50],
            "done": mine.filter(
                status=TaskStatus.DONE, completed_on__gte=today - timedelta(30)
            ).order_by("-completed_on")[:30],
            "quarter": quarter,
            "my_kpi": team.people.get(self.request.user.pk or 0),
            "team_kpi": team_kpi,
            **my_reviews(user, quarter=quarter, team_members=my_teams),
            "my_issues": PartnerIssue.objects.visible_to(user)
            .unresolved()
            .filter(assignee=user)
            .select_related("partner")
            .order_by("due_at")[:50],
        }


class PartnerTaskCreateView(StaffViewMixin, View):
    permission_required = "maintenance.add_maintenancetask"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        partner = self.get_partner()
        return self.render(partner, AdhocTaskForm(partner=partner))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        partner = self.get_partner()
        form = AdhocTaskForm(request.POST, partner=partner)
        if form.is_valid():
            try:
                services.create_adhoc_task(
                    partner, created_by=acting_user(request), **form.cleaned_data
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Task added."))
                return redirect(partner)
        return self.render(partner, form, status=400)

    def render(self, partner: Any, form: AdhocTaskForm, status: int = 200) -> HttpResponse:
        context = {"partner": partner, "form": form}
        return render(self.request, "maintenance/task_form.html", context, status=status)


class TaskActionView(VisibleObjectMixin, View):
    """complete, cancel (ad-hoc tasks) or reassign (any open task)."""

    permission_required = "maintenance.change_maintenancetask"
    model = MaintenanceTask

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        task = self.get_object()
        form = (
            ReassignForm(request.POST, partner=task.partner)
            if action == "reassign"
            else TaskNoteForm(request.POST)
        )
        if not form.is_valid():
            messages.error(request, _("Check the form."))
        else:
            try:
                self.perform(task, action, form.cleaned_data)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("Saved."))
        return redirect(posted_next(request, reverse("maintenance:my_tasks")))

    def perform(self, task: MaintenanceTask, action: str, data: dict[str, Any]) -> None:
        user = acting_user(self.request)
        if action == "reassign":
            services.reassign_task(task, assignee=data["assignee"], reassigned_by=user)
        elif action == "complete":
            services.complete_task(task, completed_by=user, note=data["note"])
        else:
            services.cancel_task(task, cancelled_by=user, note=data["note"])


class TierPolicyView(StaffViewMixin, View):
    """All three tier policies on one page; a sales VP changes them, the history shows who
    changed what and when."""

    permission_required = "maintenance.view_tierpolicy"
    formset_class = modelformset_factory(TierPolicy, form=TierPolicyForm, extra=0)

    def get(self, request: HttpRequest) -> HttpResponse:
        services.policies()  # make sure all three exist
        return self.render(self.formset_class(queryset=self.queryset()))

    def post(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("maintenance.change_tierpolicy"):
            return self.handle_no_permission()
        formset = self.formset_class(request.POST, queryset=self.queryset())
        if not formset.is_valid():
            return self.render(formset, status=400)
        for form in formset:
            if form.has_changed():
                changed = {name: form.cleaned_data[name] for name in form.changed_data}
                services.update_tier_policy(
                    form.instance, changed_by=acting_user(request), **changed
                )
        messages.success(request, _("Tier policies saved; open tasks follow the new cadence."))
        return redirect("maintenance:tier_policies")

    def queryset(self) -> QuerySet[TierPolicy]:
        in_tier_order = Case(
            *(When(tier=tier, then=rank) for rank, tier in enumerate(Tier.values)),
            output_field=IntegerField(),
        )
        return TierPolicy.objects.order_by(in_tier_order)

    def render(self, formset: Any, status: int = 200) -> HttpResponse:
        history = TierPolicy.history.select_related("history_user").order_by("-history_date")[:30]
        context = {
            "formset": formset,
            "history": history,
            "can_edit": self.request.user.has_perm("maintenance.change_tierpolicy"),
        }
        return render(self.request, "maintenance/tier_policies.html", context, status=status)
