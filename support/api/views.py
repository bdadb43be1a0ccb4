from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channelhub.api.permissions import NotFoundBeforeForbiddenMixin
from channelhub.lib.requests import acting_user
from partners.api.views import HasPermission
from partners.models import Partner

from .. import services
from ..choices import IssueGrouping
from ..filtersets import ArticleFilterSet, IssueFilterSet
from ..forms import KpiForm
from ..knowledge import suggested_articles
from ..kpis import IssueKpi, issue_kpis
from ..models import Article, PartnerIssue
from .serializers import (
    ArticleSerializer,
    AssignSerializer,
    IssueCommentSerializer,
    IssueKpiSerializer,
    IssueSerializer,
    MessageSerializer,
    ReasonSerializer,
    ResolveSerializer,
)

STEPS = ("assign", "start", "wait", "resolve", "close", "reopen")


class IssueViewSet(
    NotFoundBeforeForbiddenMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Partner issues of the partners the caller sees. POST opens one; the steps are
    actions (assign, start, wait, resolve, close, reopen); `comments` lists (GET) or adds
    (POST) comments; `suggested-articles` lists knowledge articles like it."""

    serializer_class = IssueSerializer
    queryset = PartnerIssue.objects.none()
    filterset_class = IssueFilterSet

    def get_queryset(self) -> QuerySet[PartnerIssue]:
        return PartnerIssue.objects.visible_to(self.request.user).order_by("-created_at", "-pk")

    def get_permissions(self) -> list[Any]:
        permissions = list(super().get_permissions())
        if self.action in (*STEPS, "comments") and self.request.method == "POST":
            permissions.append(HasPermission("support.change_partnerissue"))
        if self.action in ("comments", "suggested_articles"):
            permissions.append(HasPermission("support.view_partnerissue"))
        return permissions

    def perform_create(self, serializer: IssueSerializer) -> None:  # type: ignore[override]
        data = serializer.validated_data
        serializer.instance = services.open_issue(
            data["partner"], opened_by=acting_user(self.request), title=data["title"],
            category=data["category"], description=data["description"],
            priority=data.get("priority", "normal"), contact=data.get("contact"),
            assignee=data.get("assignee"),
        )  # fmt: skip

    def get_object(self) -> PartnerIssue:
        issue: PartnerIssue = super().get_object()
        if self.request.method == "POST" and not services.may_work(
            issue, acting_user(self.request)
        ):
            self.permission_denied(self.request)
        return issue

    def _respond(self, issue: PartnerIssue) -> Response:
        return Response(self.get_serializer(issue).data)

    def _body(self, serializer_class: Any, request: Request) -> dict[str, Any]:
        body = serializer_class(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        return dict(body.validated_data)

    @extend_schema(request=AssignSerializer, responses=IssueSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        body = self._body(AssignSerializer, request)
        return self._respond(services.assign_issue(
            self.get_object(), assignee=body["assignee"], assigned_by=acting_user(request)
        ))  # fmt: skip

    @extend_schema(request=None, responses=IssueSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str | None = None) -> Response:
        return self._respond(
            services.start_issue(self.get_object(), started_by=acting_user(request))
        )

    @extend_schema(request=MessageSerializer, responses=IssueSerializer)
    @action(detail=True, methods=["post"])
    def wait(self, request: Request, pk: str | None = None) -> Response:
        body = self._body(MessageSerializer, request)
        return self._respond(services.wait_on_partner(
            self.get_object(), by=acting_user(request), message=body["message"]
        ))  # fmt: skip

    @extend_schema(request=ResolveSerializer, responses=IssueSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str | None = None) -> Response:
        body = self._body(ResolveSerializer, request)
        return self._respond(services.resolve_issue(
            self.get_object(), resolved_by=acting_user(request), resolution=body["resolution"]
        ))  # fmt: skip

    @extend_schema(request=None, responses=IssueSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        return self._respond(
            services.close_issue(self.get_object(), closed_by=acting_user(request))
        )

    @extend_schema(request=ReasonSerializer, responses=IssueSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str | None = None) -> Response:
        body = self._body(ReasonSerializer, request)
        return self._respond(services.reopen_issue(
            self.get_object(), reopened_by=acting_user(request), reason=body["reason"]
        ))  # fmt: skip

    @extend_schema(methods=["GET"], responses=IssueCommentSerializer(many=True))
    @extend_schema(methods=["POST"], request=IssueCommentSerializer,
                   responses=IssueCommentSerializer)  # fmt: skip
    @action(detail=True, methods=["get", "post"])
    def comments(self, request: Request, pk: str | None = None) -> Response:
        issue = self.get_object()
        if request.method == "GET":
            comments = issue.comments.all()
            if request.query_params.get("shared") in ("1", "true"):
                comments = comments.shared()
            return Response(IssueCommentSerializer(comments, many=True).data)
        body = self._body(IssueCommentSerializer, request)
        comment = services.add_comment(
            issue, author=acting_user(request), body=body["body"],
            is_internal=body.get("is_internal", True),
        )  # fmt: skip
        return Response(IssueCommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=ArticleSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="suggested-articles")
    def suggested_articles(self, request: Request, pk: str | None = None) -> Response:
        articles = suggested_articles(self.get_object())
        return Response(ArticleSerializer(articles, many=True, context={"request": request}).data)


class ArticleViewSet(viewsets.ModelViewSet):
    """The knowledge base; `?q=` finds every word (Chinese substrings included)."""

    serializer_class = ArticleSerializer
    queryset = Article.objects.none()
    filterset_class = ArticleFilterSet

    def get_queryset(self) -> QuerySet[Article]:
        visible = PartnerIssue.objects.visible_to(self.request.user).only("pk")
        return Article.objects.prefetch_related(
            Prefetch("issues", queryset=visible, to_attr="visible_issues")  # type: ignore[arg-type]
        ).order_by("-updated_at", "-pk")

    def perform_create(self, serializer: ArticleSerializer) -> None:  # type: ignore[override]
        self._save(serializer, Article())

    def perform_update(self, serializer: ArticleSerializer) -> None:  # type: ignore[override]
        self._save(serializer, serializer.instance)

    def _save(self, serializer: ArticleSerializer, article: Any) -> None:
        data = dict(serializer.validated_data)
        issues = data.pop("issues", None)
        for name, value in data.items():
            setattr(article, name, value)
        serializer.instance = services.save_article(
            article, saved_by=acting_user(self.request), issues=issues
        )


class IssueKpiView(APIView):
    """Issue KPIs (product.md §4) over the partners the caller sees; the last row (group
    null) is the total."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("start", str, description="2026-10-01; default: this quarter's"),
            OpenApiParameter("end", str, description="2026-12-31; default: this quarter's"),
            OpenApiParameter("group_by", str, enum=IssueGrouping.values),
        ],
        responses=IssueKpiSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        if not request.user.has_perm("support.view_partnerissue"):
            self.permission_denied(request)
        form = KpiForm(request.query_params)
        if not form.is_valid():
            raise serializers.ValidationError(form.errors.get_json_data())
        data = form.cleaned_data
        rows, total = issue_kpis(
            PartnerIssue.objects.visible_to(request.user), Partner.objects.visible_to(request.user),
            start=data["start"], end=data["end"], group_by=data["group_by"],
        )  # fmt: skip
        return Response(IssueKpiSerializer([_row(kpi) for kpi in [*rows, total]], many=True).data)


def _row(kpi: IssueKpi) -> dict[str, Any]:
    return {
        "group": None if kpi.key is None else str(kpi.key), "label": kpi.label,
        "opened": kpi.opened, "complaints": kpi.complaints,
        "active_partners": kpi.active_partners, "complaint_rate": kpi.complaint_rate,
        "resolved": kpi.resolved, "sla_met": kpi.sla_met, "sla_met_percent": kpi.sla_met_percent,
        "median_first_response_hours": kpi.median_first_response_hours,
        "median_resolution_hours": kpi.median_resolution_hours,
    }  # fmt: skip
