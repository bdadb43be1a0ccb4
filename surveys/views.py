"""Pages of the satisfaction surveys: results and comments for the staff, the surveys sent,
the settings and questions (a sales VP), and the page a partner answers from the emailed
link — without login, answering that one survey and nothing else."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_protect
from django.views.generic import TemplateView

from channelhub.lib.requests import acting_user
from maintenance.views import VisibleObjectMixin
from partners.views import StaffViewMixin
from reviews.views import add_service_error

from . import services
from .forms import (
    AnswerForm,
    QuestionForm,
    ResendForm,
    ResultsForm,
    SurveyListForm,
    SurveySettingsForm,
)
from .models import Survey, SurveyQuestion, SurveyResponse
from .results import ResultRow, answered_between, survey_results

COMMENTS_PAGE_SIZE = 20
SURVEYS_PAGE_SIZE = 50


def filtered_for_results(
    form: ResultsForm, responses: QuerySet[SurveyResponse], surveys: QuerySet[Survey]
) -> tuple[QuerySet[SurveyResponse], QuerySet[Survey]]:
    """The results' filters on both querysets (tier and manager as at sending)."""
    data = form.cleaned_data
    if data.get("tier"):
        responses, surveys = (
            responses.filter(survey__tier=data["tier"]),
            surveys.filter(tier=data["tier"]),
        )
    if data.get("province"):
        responses = responses.filter(partner__province=data["province"])
        surveys = surveys.filter(partner__province=data["province"])
    if data.get("manager"):
        responses = responses.filter(survey__manager=data["manager"])
        surveys = surveys.filter(manager=data["manager"])
    return responses, surveys


def results_for(
    user: Any, form: ResultsForm
) -> tuple[QuerySet[SurveyResponse], list[ResultRow], ResultRow]:
    """A valid results form over what `user` sees: the filtered responses, the rows and the
    total (the page and the API)."""
    responses, surveys = filtered_for_results(
        form, SurveyResponse.objects.visible_to(user), Survey.objects.visible_to(user)
    )
    data = form.cleaned_data
    rows, total = survey_results(
        responses, surveys, first_month=data["first"], last_month=data["last"],
        group_by=data["group_by"],
    )  # fmt: skip
    return responses, rows, total


class SurveyResultsView(StaffViewMixin, TemplateView):
    permission_required = "surveys.view_surveyresponse"
    template_name = "surveys/results.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        request = self.request
        form = ResultsForm(request.GET, request=request)
        context = {**super().get_context_data(**kwargs), "form": form}
        if not form.is_valid():
            return context
        responses, rows, total = results_for(request.user, form)
        data = form.cleaned_data
        comments = (
            answered_between(responses, data["first"], data["last"])
            .exclude(comment="")
            .select_related("partner", "survey", "follow_up_task__assignee")
        )
        query = request.GET.copy()
        query.pop("page", None)
        return {
            **context,
            "rows": rows,
            "total": total,
            "grouping": dict(form.fields["group_by"].choices)[data["group_by"]],  # type: ignore[attr-defined]
            "comments": Paginator(comments, COMMENTS_PAGE_SIZE).get_page(request.GET.get("page")),
            "querystring": query.urlencode(),
        }


class SurveyListView(StaffViewMixin, TemplateView):
    permission_required = "surveys.view_survey"
    template_name = "surveys/survey_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        form = SurveyListForm(self.request.GET)
        surveys = Survey.objects.visible_to(self.request.user).select_related(
            "partner", "contact", "response"
        )
        if form.is_valid():
            if form.cleaned_data["month"]:
                surveys = surveys.filter(month=form.cleaned_data["month"])
            if form.cleaned_data["status"]:
                surveys = surveys.filter(status=form.cleaned_data["status"])
        query = self.request.GET.copy()
        query.pop("page", None)
        return {
            **super().get_context_data(**kwargs),
            "form": form,
            "page": Paginator(surveys, SURVEYS_PAGE_SIZE).get_page(self.request.GET.get("page")),
            "querystring": query.urlencode(),
        }


class SurveyResendView(VisibleObjectMixin, View):
    """Send a survey that failed (or expired unanswered) again, with a new link."""

    permission_required = "surveys.change_survey"
    model = Survey

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        survey = self.get_object()
        form = ResendForm(request.POST, instance=survey)
        if not form.is_valid():
            messages.error(request, " ".join(str(e) for e in form.errors.get("email", [])))
            return redirect("surveys:survey_list")
        try:
            services.resend_survey(survey, email=form.cleaned_data["email"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The survey will be sent again with a new link."))
        return redirect("surveys:survey_list")


class SurveySettingsView(StaffViewMixin, View):
    permission_required = "surveys.view_surveysettings"
    template_name = "surveys/settings.html"

    def can_edit(self) -> bool:
        return self.request.user.has_perm("surveys.change_surveysettings")

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(SurveySettingsForm(instance=services.survey_settings()))

    def post(self, request: HttpRequest) -> HttpResponse:
        if not self.can_edit():
            return HttpResponse(status=403)
        form = SurveySettingsForm(request.POST, instance=services.survey_settings())
        if form.is_valid():
            try:
                services.update_settings(form.instance, changed_by=acting_user(request))
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("Survey settings saved."))
                return redirect("surveys:settings")
        return self.render(form, status=400)

    def render(self, form: SurveySettingsForm, status: int = 200) -> HttpResponse:
        context = {
            "form": form,
            "can_edit": self.can_edit(),
            "questions": SurveyQuestion.objects.all(),
            "history": services.survey_settings().history.select_related("history_user")[:10],
        }
        return render(self.request, self.template_name, context, status=status)


class QuestionEditView(StaffViewMixin, View):
    permission_required = "surveys.change_surveyquestion"
    pk_is_partner = False
    template_name = "surveys/question_form.html"

    def question(self) -> SurveyQuestion:
        if "pk" in self.kwargs:
            return get_object_or_404(SurveyQuestion, pk=self.kwargs["pk"])
        return SurveyQuestion()

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        return render(request, self.template_name, {"form": QuestionForm(instance=self.question())})

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        form = QuestionForm(request.POST, instance=self.question())
        if form.is_valid():
            try:
                services.save_question(form.instance, saved_by=acting_user(request))
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("Question saved. Surveys sent from now on ask it."))
                return redirect("surveys:settings")
        return render(request, self.template_name, {"form": form}, status=400)


def _private(response: HttpResponse) -> HttpResponse:
    """The answer page holds a secret in its address: never cached, never sent as a
    referrer to another site (`no-referrer` would make the browser post `Origin: null`,
    which CSRF refuses), never indexed."""
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


LINK_ERROR_STATUS = {"invalid": 404, "expired": 410, "answered": 410}


@csrf_protect
def answer_survey(request: HttpRequest) -> HttpResponse:
    """The emailed link: `?t=<token>`. Answers exactly the one survey the token opens."""
    token = request.GET.get("t", "")
    try:
        survey = services.survey_for_token(token)
    except services.SurveyLinkError as error:
        return _link_error(request, error.reason)
    language = request.GET.get("lang", "")
    if language not in ("en", "zh-hans"):
        language = survey.language or "zh-hans"
    with translation.override(language):
        form = AnswerForm(request.POST or None, survey=survey, language=language)
        if request.method == "POST" and form.is_valid():
            try:
                services.submit_response(token, form.answers())
            except services.SurveyLinkError as error:
                return _link_error(request, error.reason)
            except ValidationError as error:
                add_service_error(form, error)
            else:
                return _private(render(request, "surveys/answer_done.html", {"survey": survey}))
        context = {"survey": survey, "form": form, "language": language, "token": token}
        status = 400 if request.method == "POST" else 200
        return _private(render(request, "surveys/answer.html", context, status=status))


def _link_error(request: HttpRequest, reason: str) -> HttpResponse:
    response = render(
        request, "surveys/answer_unavailable.html", {"reason": reason},
        status=LINK_ERROR_STATUS[reason],
    )  # fmt: skip
    return _private(response)
