"""Pages of partner issues (list, open, one issue and its steps, KPIs) and of the knowledge
base (search, read, write, write up a resolved issue)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from channelhub.lib.requests import acting_user
from maintenance.views import VisibleObjectMixin, attachment_response
from partners.models import Partner
from partners.views import StaffViewMixin
from reviews.views import add_service_error

from . import services
from .choices import UNRESOLVED
from .filtersets import ArticleFilterSet, IssueFilterSet
from .forms import (
    ArticleForm,
    AssignForm,
    AttachForm,
    CommentForm,
    IssueForm,
    KpiForm,
    MessageForm,
    ReopenForm,
    ResolveForm,
)
from .knowledge import render_markdown, suggested_articles
from .kpis import issue_kpis
from .models import Article, IssueAttachment, PartnerIssue

PAGE_SIZE = 50


def _page(request: HttpRequest, rows: Any) -> dict[str, Any]:
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "page": Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")),
        "querystring": query.urlencode(),
    }


class IssueListView(StaffViewMixin, TemplateView):
    permission_required = "support.view_partnerissue"
    template_name = "support/issue_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        request = self.request
        data = request.GET.copy()
        if not data:
            data.setlist("status", list(UNRESOLVED))
        visible = PartnerIssue.objects.visible_to(request.user)
        filterset = IssueFilterSet(
            data, queryset=visible.select_related("partner", "assignee"), request=request
        )
        issues = filterset.qs if filterset.is_valid() else PartnerIssue.objects.none()
        return {**super().get_context_data(**kwargs), "filterset": filterset,
                **_page(request, issues)}  # fmt: skip


class IssueCreateView(StaffViewMixin, View):
    """Open an issue for the partner."""

    permission_required = "support.add_partnerissue"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        partner = self.get_partner()
        return self.page(partner, IssueForm(partner=partner))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        partner = self.get_partner()
        form = IssueForm(request.POST, request.FILES, partner=partner)
        if form.is_valid():
            data = form.cleaned_data
            try:
                issue = services.open_issue(
                    partner, opened_by=acting_user(request), title=data["title"],
                    category=data["category"], priority=data["priority"],
                    description=data["description"], contact=data["contact"],
                    assignee=data["assignee"], attachments=data["attachments"],
                )  # fmt: skip
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("Issue opened."))
                return redirect(issue)
        return self.page(partner, form, status=400)

    def page(self, partner: Partner, form: IssueForm, status: int = 200) -> HttpResponse:
        return render(self.request, "support/issue_form.html",
                      {"partner": partner, "form": form}, status=status)  # fmt: skip


class IssueDetailView(VisibleObjectMixin, TemplateView):
    permission_required = "support.view_partnerissue"
    template_name = "support/issue_detail.html"
    model = PartnerIssue

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        issue = self.get_object()
        return {
            **super().get_context_data(**kwargs),
            **issue_page_context(issue),
            "can_work": services.may_work(issue, acting_user(self.request)),
        }


def issue_page_context(issue: PartnerIssue, **forms: Any) -> dict[str, Any]:
    partner = issue.partner
    return {
        "issue": issue,
        "partner": partner,
        "comments": issue.comments.select_related("author"),
        "shared_comments": issue.comments.shared().select_related("author"),
        "attachments": issue.attachments.all(),
        "suggestions": suggested_articles(issue),
        "articles": issue.articles.all(),
        "assign_form": forms.get("assign") or AssignForm(partner=partner,
                                                         initial={"assignee": issue.assignee}),
        "wait_form": forms.get("wait") or MessageForm(),
        "resolve_form": forms.get("resolve") or ResolveForm(),
        "reopen_form": forms.get("reopen") or ReopenForm(),
        "comment_form": forms.get("comment") or CommentForm(),
        "attach_form": forms.get("attach") or AttachForm(),
        "history": issue.history.select_related("history_user", "assignee")[:20],
    }  # fmt: skip


class IssueStepView(VisibleObjectMixin, View):
    """One step of an issue's life, by POST: assign, start, wait, resolve, close, reopen,
    comment, attach."""

    permission_required = "support.change_partnerissue"
    model = PartnerIssue

    def post(self, request: HttpRequest, pk: int, step: str) -> HttpResponse:
        issue = self.get_object()
        user = acting_user(request)
        if not services.may_work(issue, user):
            raise PermissionDenied
        form: Any = None
        try:
            if step == "assign":
                form = AssignForm(request.POST, partner=issue.partner)
                if form.is_valid():
                    services.assign_issue(issue, assignee=form.cleaned_data["assignee"],
                                          assigned_by=user)  # fmt: skip
            elif step == "start":
                services.start_issue(issue, started_by=user)
            elif step == "wait":
                form = MessageForm(request.POST)
                if form.is_valid():
                    services.wait_on_partner(issue, by=user, message=form.cleaned_data["message"])
            elif step == "resolve":
                form = ResolveForm(request.POST)
                if form.is_valid():
                    services.resolve_issue(issue, resolved_by=user,
                                           resolution=form.cleaned_data["resolution"])  # fmt: skip
            elif step == "close":
                services.close_issue(issue, closed_by=user)
            elif step == "reopen":
                form = ReopenForm(request.POST)
                if form.is_valid():
                    services.reopen_issue(issue, reopened_by=user,
                                          reason=form.cleaned_data["reason"])  # fmt: skip
            elif step == "comment":
                form = CommentForm(request.POST)
                if form.is_valid():
                    services.add_comment(issue, author=user, body=form.cleaned_data["body"],
                                         is_internal=form.cleaned_data["is_internal"])  # fmt: skip
            elif step == "attach":
                form = AttachForm(request.POST, request.FILES)
                if form.is_valid():
                    services.add_attachments(issue, uploaded_by=user,
                                             uploads=form.cleaned_data["attachments"])  # fmt: skip
        except ValidationError as error:
            if form is None:
                messages.error(request, " ".join(error.messages))
                return redirect(issue)
            add_service_error(form, error)
        if form is not None and form.errors:
            issue.refresh_from_db()
            context = {**issue_page_context(issue, **{step: form}), "can_work": True}
            return render(request, "support/issue_detail.html", context, status=400)
        return redirect(issue)


class AttachmentDownloadView(StaffViewMixin, View):
    permission_required = "support.view_partnerissue"
    pk_is_partner = False

    def get_attachment(self) -> IssueAttachment:
        issues = PartnerIssue.objects.visible_to(self.request.user)
        return get_object_or_404(IssueAttachment, pk=self.kwargs["pk"], issue__in=issues)

    def get(self, request: HttpRequest, pk: int) -> FileResponse:
        return attachment_response(self.get_attachment())

    def handle_no_permission(self) -> Any:
        if self.request.user.is_authenticated:
            self.get_attachment()
        return super().handle_no_permission()


class IssueKpiView(StaffViewMixin, TemplateView):
    permission_required = "support.view_partnerissue"
    template_name = "support/issue_kpis.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        form = KpiForm(self.request.GET)
        context = {**super().get_context_data(**kwargs), "form": form}
        if form.is_valid():
            data = form.cleaned_data
            rows, total = issue_kpis(
                PartnerIssue.objects.visible_to(self.request.user),
                Partner.objects.visible_to(self.request.user),
                start=data["start"], end=data["end"], group_by=data["group_by"],
            )  # fmt: skip
            context.update(rows=rows, total=total, start=data["start"], end=data["end"])
        return context


# --- Knowledge base -----------------------------------------------------------------------


class ArticleListView(StaffViewMixin, TemplateView):
    permission_required = "support.view_article"
    template_name = "support/article_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        filterset = ArticleFilterSet(self.request.GET, queryset=Article.objects.all())
        articles = filterset.qs if filterset.is_valid() else Article.objects.none()
        return {**super().get_context_data(**kwargs), "filterset": filterset,
                **_page(self.request, articles)}  # fmt: skip


class ArticleDetailView(StaffViewMixin, TemplateView):
    permission_required = "support.view_article"
    pk_is_partner = False
    template_name = "support/article_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        article = get_object_or_404(Article, pk=self.kwargs["pk"])
        issues = article.issues.filter(
            pk__in=PartnerIssue.objects.visible_to(self.request.user).values("pk")
        ).select_related("partner")
        return {
            **super().get_context_data(**kwargs),
            "article": article,
            "problem_html": render_markdown(article.problem),
            "solution_html": render_markdown(article.solution),
            "issues": issues,
        }


class ArticleEditView(StaffViewMixin, View):
    permission_required = "support.change_article"
    pk_is_partner = False

    def get_permission_required(self) -> tuple[str, ...]:
        return ("support.change_article",) if "pk" in self.kwargs else ("support.add_article",)

    def article(self) -> Article:
        return (
            get_object_or_404(Article, pk=self.kwargs["pk"]) if "pk" in self.kwargs else Article()
        )

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        return render(request, "support/article_form.html",
                      {"form": ArticleForm(instance=self.article())})  # fmt: skip

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        form = ArticleForm(request.POST, instance=self.article())
        if form.is_valid():
            try:
                article = services.save_article(form.instance, saved_by=acting_user(request))
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("Article saved."))
                return redirect(article)
        return render(request, "support/article_form.html", {"form": form}, status=400)


class WriteUpIssueView(VisibleObjectMixin, View):
    """A resolved issue as a knowledge article: the form comes filled in from the issue;
    saving it stores the article linked to the issue."""

    permission_required = "support.add_article"
    model = PartnerIssue

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        issue = self.get_object()
        try:
            draft = services.draft_from_issue(issue)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(issue)
        return self.page(issue, ArticleForm(instance=draft))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        issue = self.get_object()
        form = ArticleForm(request.POST)
        if form.is_valid():
            try:
                article = services.write_up_issue(
                    issue, written_by=acting_user(request), article=form.instance
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("Article saved."))
                return redirect(article)
        return self.page(issue, form, status=400)

    def page(self, issue: PartnerIssue, form: ArticleForm, status: int = 200) -> HttpResponse:
        context = {"form": form, "issue": issue}
        return render(self.request, "support/article_form.html", context, status=status)
