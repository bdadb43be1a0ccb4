"""Pages of rebates: programs and their rules (with the tier-table editor), approval,
runs with their progress, statements (返利对账单) with explanations and the lines behind
each result, bulk approval with the cost shown first, payouts, exports and "what if"."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from channelhub.lib.requests import acting_user
from channelhub.lib.tabular import download, write_xlsx
from maintenance.views import VisibleObjectMixin
from partners.choices import Tier
from partners.views import StaffViewMixin
from reviews.views import add_service_error

from . import services
from .choices import REASONS, ProgramStatus, StatementStatus
from .explain import describe, lines_behind
from .filtersets import StatementFilterSet
from .forms import (
    KIND_LABELS,
    PERIOD_TYPE_LABELS,
    PayoutForm,
    ProgramForm,
    RuleForm,
    RunForm,
    WhatIfForm,
)
from .models import RebateProgram, RebateResult, RebateRule, RebateRun, RebateStatement
from .periods import RebatePeriod
from .whatif import what_if

PAGE_SIZE = 50
LINES_PAGE_SIZE = 100


class ProgramListView(StaffViewMixin, TemplateView):
    permission_required = "incentives.view_rebateprogram"
    template_name = "incentives/program_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        programs = (
            RebateProgram.objects.annotate(
                rule_count=Count("rules", filter=Q(rules__is_current=True))
            )
            .select_related("approved_by")
            .order_by("-period_start", "name", "pk")  # a GROUP BY leaves Meta.ordering out
        )
        return {
            **super().get_context_data(**kwargs),
            "page": Paginator(programs, PAGE_SIZE).get_page(self.request.GET.get("page")),
        }


class ProgramFormView(StaffViewMixin, View):
    """Create a program, or change a draft's name, description and dates."""

    permission_required = "incentives.add_rebateprogram"
    pk_is_partner = False

    def program(self) -> RebateProgram | None:
        if "pk" not in self.kwargs:
            return None
        program = get_object_or_404(RebateProgram, pk=self.kwargs["pk"])
        if program.status != ProgramStatus.DRAFT:
            raise PermissionDenied
        return program

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return self.page(ProgramForm(instance=self.program()))

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        program = self.program()
        form = ProgramForm(request.POST, instance=program)
        if form.is_valid():
            try:
                if program is None:
                    program = services.create_program(
                        **form.cleaned_data, created_by=acting_user(request)
                    )
                else:
                    services.update_program(
                        program, changed_by=acting_user(request), **form.cleaned_data
                    )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                return redirect("incentives:program_detail", program.pk)
        return self.page(form, status=400)

    def page(self, form: ProgramForm, status: int = 200) -> HttpResponse:
        context = {"form": form, "program": self.program()}
        return render(self.request, "incentives/program_form.html", context, status=status)


class ProgramDetailView(StaffViewMixin, TemplateView):
    permission_required = "incentives.view_rebateprogram"
    pk_is_partner = False
    template_name = "incentives/program_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        program = get_object_or_404(
            RebateProgram.objects.select_related("created_by", "updated_by", "approved_by"),
            pk=self.kwargs["pk"],
        )
        rules = program.rules.filter(is_current=True).order_by("position", "pk")
        user = self.request.user
        return {
            **super().get_context_data(**kwargs),
            "program": program,
            "rules": [
                (rule, KIND_LABELS.get(rule.spec.get("kind"), ""),
                 PERIOD_TYPE_LABELS.get(rule.spec.get("period_type"), ""))
                for rule in rules
            ],  # fmt: skip
            "older_versions": program.rules.filter(is_current=False).order_by("code", "-version"),
            "runs": program.runs.select_related("created_by")[:20],
            "run_form": RunForm(initial={"period": _default_period(program)}),
            "can_edit": user.has_perm("incentives.change_rebateprogram")
            and program.status != ProgramStatus.RETIRED,
            "can_approve": user.has_perm("incentives.approve_rebateprogram")
            and program.status == ProgramStatus.DRAFT and program.updated_by_id != user.pk,
            "sees_all": getattr(user, "sees_all_partners", False),
            "history": program.history.select_related("history_user")[:10],
        }  # fmt: skip


def _default_period(program: RebateProgram) -> str:
    """The last quarter that is over, inside the program (what a final run is usually for)."""
    today = timezone.localdate()
    quarter = (today.month - 1) // 3  # the quarter before this one, 0 = last year's Q4
    year, number = (today.year, quarter) if quarter else (today.year - 1, 4)
    return f"{year}-Q{number}"


class ProgramDecisionView(StaffViewMixin, View):
    """Approve (maker-checker) or retire a program."""

    permission_required = "incentives.approve_rebateprogram"
    pk_is_partner = False

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        program = get_object_or_404(RebateProgram, pk=pk)
        try:
            if action == "approve":
                services.approve_program(program, approved_by=acting_user(request))
                messages.success(request, _("Program approved: its rules can now be run."))
            else:
                services.retire_program(program, retired_by=acting_user(request))
                messages.success(request, _("Program retired."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("incentives:program_detail", pk)


class RuleFormView(StaffViewMixin, View):
    """Add a rule or change one: every field of rebates.md §2, with the tier tables; an
    error names its field. A change to an approved rule makes a new version."""

    permission_required = "incentives.change_rebateprogram"
    pk_is_partner = False

    def setup_objects(self) -> tuple[RebateProgram, RebateRule | None]:
        program = get_object_or_404(RebateProgram, pk=self.kwargs["pk"])
        if program.status == ProgramStatus.RETIRED:
            raise PermissionDenied
        rule = None
        if "code" in self.kwargs:
            rule = get_object_or_404(program.rules, code=self.kwargs["code"], is_current=True)
        return program, rule

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        program, rule = self.setup_objects()
        form = RuleForm(spec=rule.spec if rule else None)
        if rule is None:
            form.initial.update(valid_from=program.period_start, valid_to=program.period_end)
        return self.page(program, rule, form)

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        program, rule = self.setup_objects()
        form = RuleForm(request.POST, spec=rule.spec if rule else None)
        if form.is_valid():
            spec = form.spec()
            if rule is None and program.rules.filter(code=spec["code"]).exists():
                form.add_error("code", _("This program already has a rule with this code."))
            else:
                try:
                    services.save_rule(program, spec, saved_by=acting_user(request))
                except ValidationError as error:
                    add_service_error(form, error)
                else:
                    messages.success(request, _("Rule %(code)s saved.") % {"code": spec["code"]})
                    return redirect("incentives:program_detail", program.pk)
        return self.page(program, rule, form, status=400)

    def page(self, program: RebateProgram, rule: RebateRule | None, form: RuleForm,
             status: int = 200) -> HttpResponse:  # fmt: skip
        context = {"program": program, "rule": rule, "form": form}
        return render(self.request, "incentives/rule_form.html", context, status=status)


class RunStartView(StaffViewMixin, View):
    permission_required = "incentives.run_rebates"
    pk_is_partner = False

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        program = get_object_or_404(RebateProgram, pk=pk)
        form = RunForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                messages.error(request, " ".join(str(error) for error in errors))
            return redirect("incentives:program_detail", pk)
        data = form.cleaned_data
        try:
            run = services.start_run(
                program, RebatePeriod.parse(data["period"]), kind=data["kind"],
                as_of=data["as_of"], started_by=acting_user(request),
            )  # fmt: skip
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("incentives:program_detail", pk)
        return redirect(run)


class RunDetailView(StaffViewMixin, TemplateView):
    """A run: its progress while it works (the page polls), then its totals per tier over
    the statements the reader sees."""

    permission_required = "incentives.view_rebaterun"
    pk_is_partner = False
    template_name = "incentives/run_detail.html"

    def get_template_names(self) -> list[str]:
        if self.request.headers.get("HX-Request"):
            return ["incentives/partials/_run_status.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        run = get_object_or_404(RebateRun.objects.select_related("program"), pk=self.kwargs["pk"])
        statements = RebateStatement.objects.visible_to(self.request.user).filter(run=run)
        by_tier = {
            row["partner__tier"]: row
            for row in statements.values("partner__tier").annotate(
                count=Count("pk"), amount=Sum("amount"), to_settle=Sum("to_settle")
            ).order_by()
        }  # fmt: skip
        return {
            **super().get_context_data(**kwargs),
            "run": run,
            "by_tier": [(label, by_tier.get(tier)) for tier, label in Tier.choices],
            "sees_all": getattr(self.request.user, "sees_all_partners", False),
        }


def _statement_rows(
    request: HttpRequest, query: QueryDict | None = None
) -> tuple[StatementFilterSet, QuerySet[RebateStatement]]:
    """The statements the reader sees, through the list's filters (latest run by default)."""
    data = (request.GET if query is None else query).copy()
    if not any(data.get(name) for name in ("run", "program", "partner", "period")):
        latest = RebateRun.objects.filter(status="done").first()
        if latest is not None:
            data["run"] = str(latest.pk)
    statements = RebateStatement.objects.visible_to(request.user).select_related(
        "partner", "program", "run", "payout"
    )
    filterset = StatementFilterSet(data, queryset=statements, request=request)
    rows = filterset.qs if filterset.is_valid() else statements.none()
    return filterset, rows.order_by("partner__code", "pk")


class StatementListView(StaffViewMixin, TemplateView):
    permission_required = "incentives.view_rebatestatement"
    template_name = "incentives/statement_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        filterset, rows = _statement_rows(self.request)
        query = self.request.GET.copy()
        query.pop("page", None)
        return {
            **super().get_context_data(**kwargs),
            "filterset": filterset,
            "page": Paginator(rows, PAGE_SIZE).get_page(self.request.GET.get("page")),
            "totals": rows.aggregate(
                amount=Sum("amount"), to_settle=Sum("to_settle"), count=Count("pk")
            ),  # fmt: skip
            "querystring": filterset.data.urlencode(),
            "can_approve": self.request.user.has_perm("incentives.approve_rebatestatement"),
        }


class StatementApproveView(StaffViewMixin, View):
    """Bulk approval: first the count and what it costs (payouts, claw-backs, net), then
    the approval itself once confirmed."""

    permission_required = "incentives.approve_rebatestatement"

    def post(self, request: HttpRequest) -> HttpResponse:
        query = request.POST.get("query", "")
        if request.POST.get("all_matching") == "yes":  # every draft the list's filters show
            _filterset, matching = _statement_rows(request, QueryDict(query))
            ids = list(matching.filter(status=StatementStatus.DRAFT).values_list("pk", flat=True))
        else:
            ids = [int(pk) for pk in request.POST.getlist("statement") if pk.isdecimal()]
        chosen = RebateStatement.objects.visible_to(request.user).filter(
            pk__in=ids, status=StatementStatus.DRAFT
        )
        if not ids or not chosen.exists():
            messages.error(request, _("Tick the statements to approve."))
            return redirect(
                reverse("incentives:statement_list") + "?" + request.POST.get("query", "")
            )
        if request.POST.get("confirm") != "yes":
            cost = chosen.aggregate(
                count=Count("pk"), net=Sum("to_settle"),
                payouts=Sum("to_settle", filter=Q(to_settle__gt=0)),
                clawbacks=Sum("to_settle", filter=Q(to_settle__lt=0)),
            )  # fmt: skip
            context = {"ids": ids, "cost": cost, "query": query,
                       "all_matching": request.POST.get("all_matching") == "yes"}  # fmt: skip
            return render(request, "incentives/statement_approve.html", context)
        try:
            approved = services.approve_statements(list(chosen), approved_by=acting_user(request))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            settled = sum((s.to_settle for s in approved), Decimal(0))
            messages.success(request, _("%(count)d statements approved; %(amount)s CNY settled.")
                             % {"count": len(approved), "amount": settled})  # fmt: skip
        return redirect(reverse("incentives:statement_list") + "?" + request.POST.get("query", ""))


def visible_statement(request: HttpRequest, pk: int) -> RebateStatement:
    return get_object_or_404(
        RebateStatement.objects.visible_to(request.user)
        .select_related("partner", "program", "run", "approved_by", "payout")
        .prefetch_related(
            Prefetch(
                "results",
                RebateResult.objects.select_related("rule").order_by("rule__position", "pk"),
            )
        ),
        pk=pk,
    )


def statement_context(statement: RebateStatement) -> dict[str, Any]:
    results = [describe(result) for result in statement.results.all()]
    return {
        "statement": statement,
        "explained": results,
        "settlement_lines": statement.settlement_lines.order_by("pk"),
        "reasons": REASONS,
    }


class StatementDetailView(VisibleObjectMixin, TemplateView):
    permission_required = "incentives.view_rebatestatement"
    model = RebateStatement
    template_name = "incentives/statement_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        statement = visible_statement(self.request, self.kwargs["pk"])
        user = self.request.user
        return {
            **super().get_context_data(**kwargs),
            **statement_context(statement),
            "payout_form": PayoutForm(),
            "can_approve": user.has_perm("incentives.approve_rebatestatement")
            and statement.status == StatementStatus.DRAFT,
            "can_pay": user.has_perm("incentives.add_payout")
            and statement.payout_status == "pending",
        }  # fmt: skip


class StatementPrintView(VisibleObjectMixin, TemplateView):
    """The statement to print or save as PDF, in Chinese or English (`?lang=`)."""

    permission_required = "incentives.view_rebatestatement"
    model = RebateStatement
    template_name = "incentives/statement_print.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        language = request.GET.get("lang")
        if language not in ("zh-hans", "en"):
            language = translation.get_language()
        with translation.override(language):
            response = super().get(request, *args, **kwargs)
            response.render()  # type: ignore[attr-defined]
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        statement = visible_statement(self.request, self.kwargs["pk"])
        return {**super().get_context_data(**kwargs), **statement_context(statement),
                "language": translation.get_language(), "printed_at": timezone.now()}  # fmt: skip


class ResultLinesView(VisibleObjectMixin, TemplateView):
    """The sales lines behind one result, paged (with `?prior=1`, a growth rule's lines of
    the year before)."""

    permission_required = "incentives.view_rebatestatement"
    model = RebateStatement
    template_name = "incentives/result_lines.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        statement = visible_statement(self.request, self.kwargs["pk"])
        result = get_object_or_404(
            RebateResult.objects.select_related("rule"), statement=statement,
            pk=self.kwargs["result"],
        )  # fmt: skip
        prior = self.request.GET.get("prior") == "1"
        lines = lines_behind(result, statement, prior=prior).select_related(
            "category", "product"
        ).order_by("date", "pk")  # fmt: skip
        return {
            **super().get_context_data(**kwargs),
            "statement": statement, "result": result, "prior": prior,
            "page": Paginator(lines, LINES_PAGE_SIZE).get_page(self.request.GET.get("page")),
        }  # fmt: skip


class PayoutView(VisibleObjectMixin, View):
    permission_required = "incentives.add_payout"
    model = RebateStatement

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        statement = visible_statement(request, pk)
        form = PayoutForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Give the payment date and reference."))
            return redirect(statement)
        try:
            services.record_payout(statement, **form.cleaned_data, recorded_by=acting_user(request))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Payout recorded."))
        return redirect(statement)


class StatementExportView(StaffViewMixin, View):
    """The filtered statements as .xlsx: one row per result, text never read as formulas."""

    permission_required = "incentives.view_rebatestatement"

    def get(self, request: HttpRequest) -> HttpResponse:
        _filterset, rows = _statement_rows(request)
        results = (
            RebateResult.objects.filter(statement__in=rows)
            .select_related("rule", "statement", "statement__partner", "statement__program")
            .order_by("statement__partner__code", "statement_id", "rule__position", "pk")
        )
        header = [
            _("Program"), _("Period"), _("Partner code"), _("Partner"), _("Tier"), _("Status"),
            _("Rule"), _("Version"), _("Reason"), _("Lines"), _("Measure"), _("Base"),
            _("Rate %"), _("Multiplier"), _("Capped"), _("Amount"), _("Statement total"),
            _("To settle"),
        ]  # fmt: skip

        def row(result: RebateResult) -> list[Any]:
            statement, facts = result.statement, result.explanation
            return [
                statement.program.name, statement.period, statement.partner.code,
                statement.partner.legal_name, statement.partner.get_tier_display(),
                statement.get_status_display(), result.rule.code, result.rule.version,
                str(REASONS.get(result.reason, result.reason)), result.lines,
                _number(facts.get("measure")), _number(facts.get("base")),
                _number(facts.get("rate_percent")), _number(facts.get("multiplier")),
                _("yes") if facts.get("capped") else _("no"), result.amount, statement.amount,
                statement.to_settle,
            ]  # fmt: skip

        content = write_xlsx(_("Rebate statements"), header, map(row, results.iterator(2000)))
        return download(content, "rebate-statements.xlsx")


def _number(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


class WhatIfView(StaffViewMixin, TemplateView):
    """A draft program's rules against a past period's real data, compared with the program
    as last approved (or another program): total, per tier, per partner. Writes nothing."""

    permission_required = "incentives.change_rebateprogram"
    pk_is_partner = False
    template_name = "incentives/what_if.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        program = get_object_or_404(RebateProgram, pk=self.kwargs["pk"])
        bound = "period" in self.request.GET
        form = WhatIfForm(self.request.GET if bound else None, program=program,
                          initial={"period": _default_period(program)})  # fmt: skip
        figures = None
        if bound and form.is_valid():
            period = RebatePeriod.parse(form.cleaned_data["period"])
            try:
                figures = what_if(program, period, form.cleaned_data["compare_with"])
            except ValidationError as error:
                add_service_error(form, error)
        return {**super().get_context_data(**kwargs), "program": program, "form": form,
                "figures": figures, "tiers": dict(Tier.choices)}  # fmt: skip
