"""Deterministic demo issues and knowledge articles: issues of the last two months in
every state, opened and worked through the services (so SLA figures are real), and a few
written-up cases."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from partners.choices import PartnerStatus
from partners.models import Partner

from . import services
from .choices import IssueCategory, IssuePriority
from .models import Article, PartnerIssue

DEMO_ISSUES = 60
PROBLEMS = [
    (
        IssueCategory.DELIVERY,
        "订单到货延迟",
        "上周下的订单还没有到货，客户在催。",
        "已协调仓库加急补发，并提供物流单号。",
    ),
    (
        IssueCategory.REBATE,
        "返利金额与预期不符",
        "三季度返利比预期少了一档，请核对。",
        "重新核对阶梯后补发差额，并说明计算明细。",
    ),
    (
        IssueCategory.PRODUCT,
        "新品样机故障",
        "门店样机无法开机。",
        "更换样机，并安排技术人员上门培训。",
    ),
    (
        IssueCategory.PRICING,
        "区域价格冲突",
        "邻近区域渠道低价窜货。",
        "按价格政策处理窜货方，恢复区域价格。",
    ),
    (IssueCategory.SYSTEM, "订货系统无法登录", "渠道门户登录报错。", "重置账号权限后恢复正常。"),
    (
        IssueCategory.COMPLAINT,
        "售后响应太慢",
        "客户投诉售后两天无人响应。",
        "安排专人跟进，并调整售后排班。",
    ),
]


@transaction.atomic
def seed_issues(*, seed: int, today: date) -> int:
    """Returns how many issues were written (none when they are already there)."""
    partners = list(
        Partner.objects.filter(code__startswith=f"D{seed}-", owner__isnull=False,
                               status=PartnerStatus.ACTIVE)
        .select_related("owner").order_by("pk")[:DEMO_ISSUES]
    )  # fmt: skip
    if not partners or PartnerIssue.objects.filter(partner=partners[0]).exists():
        return 0
    rng = random.Random(seed * 15485863)
    now = timezone.now()
    for partner in partners:
        category, title, description, resolution = rng.choice(PROBLEMS)
        opened_at = timezone.make_aware(
            datetime.combine(today - timedelta(days=rng.randint(1, 60)), time(rng.randint(9, 17)))
        )
        issue = services.open_issue(
            partner, opened_by=partner.owner, title=title, category=category,
            description=description, priority=rng.choice(IssuePriority.values), now=opened_at,
        )  # fmt: skip
        reply_at = opened_at + timedelta(hours=rng.randint(1, 30))
        if reply_at < now:
            services.add_comment(issue, author=partner.owner, body="已收到，正在处理。",
                                 is_internal=False, now=reply_at)  # fmt: skip
        resolve_at = opened_at + timedelta(hours=rng.randint(24, 240))
        if rng.random() < 0.7 and resolve_at < now:
            services.resolve_issue(issue, resolved_by=partner.owner, resolution=resolution,
                                   now=resolve_at)  # fmt: skip
    services.close_resolved_issues(now=now)
    for category, title, description, resolution in PROBLEMS:
        services.save_article(
            Article(title=title, problem=description, solution=resolution,
                    tags=str(IssueCategory(category).label), categories=[category]),
            saved_by=None,
        )  # fmt: skip
    return len(partners)
