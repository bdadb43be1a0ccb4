"""Pages of the tier engine: the scoring model, evaluation runs (start one, watch its
progress, read its summary), the proposals with their explanations and the bulk decision,
and each partner's score card."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from channelhub.lib.periods import Quarter
from channelhub.lib.requests import acting_user, posted_next
from partners.choices import Province, Tier
from partners.views import StaffViewMixin
from reviews.views import add_service_error

from . import services
from .choices import Criterion, ProposalStatus, RunStatus
from .criteria import describe_inputs, missing_for_next_tier
from .filtersets import ProposalFilterSet
from .forms import DecisionForm, RunForm, ScoringModelForm
from .models import EvaluationRun, PartnerScore, TierProposal

PAGE_SIZE = 50


def explanation(score: PartnerScore) -> dict[str, Any]:
    """A score as the reader reads it: each criterion's points, weight and inputs, and what
    is missing for the next tier."""
    rows = [
        {
            "label": Criterion(key).label,
            "points": entry["points"],
            "weight": entry["weight"],
            "inputs": describe_inputs(key, entry["inputs"]),
        }
        for key, entry in score.criteria.items()
    ]
    missing = missing_for_next_tier(
        score.criteria, score.score, score.earned_tier, score.run.model, score.run.tier_averages
    )
    return {"score": score, "rows": rows, "missing": missing}


def latest_score(partner_id: int) -> PartnerScore | None:
    return (
        PartnerScore.objects.filter(partner_id=partner_id, run__status=RunStatus.DONE)
        .select_related("run")
        .order_by("-run__created_at")
        .first()
    )


class ScoringModelView(StaffViewMixin, View):
    permission_required = "tiers.view_scoringmodel"
    template_name = "tiers/scoring_model.html"

    def can_edit(self) -> bool:
        return self.request.user.has_perm("tiers.change_scoringmodel")

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(ScoringModelForm(instance=services.scoring_model()))

    def post(self, request: HttpRequest) -> HttpResponse:
        if not self.can_edit():
            return HttpResponse(status=403)
        form = ScoringModelForm(request.POST, instance=services.scoring_model())
        if form.is_valid():
            try:
                services.update_scoring_model(form.instance, changed_by=acting_user(request))
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("Scoring model saved: the next run uses it."))
                return redirect("tiers:scoring_model")
        return self.page(form, status=400)

    def page(self, form: ScoringModelForm, status: int = 200) -> HttpResponse:
        history = services.scoring_model().history.select_related("history_user")[:10]
        context = {"form": form, "can_edit": self.can_edit(), "history": history}
        return render(self.request, self.template_name, context, status=status)


class RunListView(StaffViewMixin, TemplateView):
    permission_required = "tiers.view_evaluationrun"
    template_name = "tiers/run_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        runs = EvaluationRun.objects.select_related("created_by")
        return {
            **super().get_context_data(**kwargs),
            "sees_all": getattr(self.request.user, "sees_all_partners", False),
            "page": Paginator(runs, PAGE_SIZE).get_page(self.request.GET.get("page")),
            "form": RunForm(initial={"quarter": str(Quarter.of(timezone.localdate()))}),
        }


class RunStartView(StaffViewMixin, View):
    permission_required = "tiers.run_evaluation"

    def post(self, request: HttpRequest) -> HttpResponse:
        form = RunForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Give the quarter as 2026Q4."))
            return redirect("tiers:run_list")
        quarter = Quarter.parse(form.cleaned_data["quarter"])
        assert quarter is not None  # the form's regex checked it
        try:
            run = services.start_run(quarter, started_by=acting_user(request))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("tiers:run_list")
        return redirect(run)


class RunDetailView(StaffViewMixin, TemplateView):
    """A run: its progress while it works (the page polls), then how many partners move up
    and down per tier and per region (the proposals of the partners the reader sees)."""

    permission_required = "tiers.view_evaluationrun"
    pk_is_partner = False
    template_name = "tiers/run_detail.html"

    def get_template_names(self) -> list[str]:
        if self.request.headers.get("HX-Request"):
            return ["tiers/partials/_run_status.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        run = get_object_or_404(EvaluationRun, pk=self.kwargs["pk"])
        proposals = TierProposal.objects.visible_to(self.request.user).filter(run=run)
        moves = Counter(proposals.values_list("from_tier", "direction"))
        regions = Counter(proposals.values_list("partner__province", "direction"))
        by_tier = [
            {"label": label, "up": moves[tier, "up"], "down": moves[tier, "down"]}
            for tier, label in Tier.choices
        ]
        provinces = dict(Province.choices)
        by_region = sorted(
            (
                {"label": provinces.get(code, code), "up": regions[code, "up"],
                 "down": regions[code, "down"]}
                for code in {code for code, _direction in regions}
            ),
            key=lambda row: -(row["up"] + row["down"]),
        )  # fmt: skip
        return {
            **super().get_context_data(**kwargs),
            "run": run,
            "by_tier": by_tier,
            "by_region": by_region,
            "open": proposals.filter(status=ProposalStatus.OPEN).count(),
            "visible_proposals": proposals.count(),
            "sees_all": getattr(self.request.user, "sees_all_partners", False),
        }


class ProposalListView(StaffViewMixin, TemplateView):
    permission_required = "tiers.view_tierproposal"
    template_name = "tiers/proposal_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        request = self.request
        data = request.GET.copy()
        latest = EvaluationRun.objects.filter(status=RunStatus.DONE).first()
        if not data.get("run") and not data.get("partner") and latest is not None:
            data["run"] = str(latest.pk)
        if "status" not in data:
            data["status"] = ProposalStatus.OPEN
        proposals = TierProposal.objects.visible_to(request.user).select_related(
            "partner", "partner__owner", "score", "score__run", "run", "decided_by"
        )
        filterset = ProposalFilterSet(data, queryset=proposals, request=request)
        rows = filterset.qs if filterset.is_valid() else TierProposal.objects.none()
        page = Paginator(rows.order_by("-score__score", "partner_id"), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        query = data.copy()
        query.pop("page", None)
        return {
            **super().get_context_data(**kwargs),
            "filterset": filterset,
            "page": page,
            "explained": [(proposal, explanation(proposal.score)) for proposal in page],
            "querystring": query.urlencode(),
            "decision_form": DecisionForm(),
            "can_decide": request.user.has_perm("tiers.decide_tierproposal"),
        }


class ProposalDecideView(StaffViewMixin, View):
    """Approve or reject the ticked proposals (one or many), with a comment."""

    permission_required = "tiers.decide_tierproposal"

    def post(self, request: HttpRequest) -> HttpResponse:
        back = posted_next(request, reverse("tiers:proposal_list"))
        form = DecisionForm(request.POST)
        ids = [int(pk) for pk in request.POST.getlist("proposal") if pk.isdecimal()]
        chosen = list(TierProposal.objects.visible_to(request.user).filter(pk__in=ids))
        if not form.is_valid() or not chosen:
            messages.error(request, _("Tick the proposals and choose a decision."))
            return redirect(back)
        data = form.cleaned_data
        try:
            if data["decision"] == "approve":
                decided = services.approve_proposals(
                    chosen, approved_by=acting_user(request), comment=data["comment"],
                    effective_on=data["effective_on"],
                )  # fmt: skip
            else:
                decided = services.reject_proposals(
                    chosen, rejected_by=acting_user(request), comment=data["comment"]
                )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(back)
        messages.success(request, _("%(count)d proposals decided.") % {"count": len(decided)})
        return redirect(back)
