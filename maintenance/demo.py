"""Deterministic demo interactions (the last 180 days, core partners contacted more often),
streamed into COPY on PostgreSQL, and the maintenance tasks planned from them."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from channelhub.lib.bulk import analyze, insert_rows
from partners.choices import Tier, TimelineKind
from partners.models import Partner, PartnerEvent

from .choices import InteractionChannel, InteractionKind
from .models import Interaction
from .services import ensure_planned_tasks

DAYS = 180
TIER_WEIGHT = {Tier.CORE: 6, Tier.REGULAR: 2, Tier.POTENTIAL: 3}
KINDS = [
    (InteractionKind.CALL, InteractionChannel.PHONE, 50),
    (InteractionKind.VISIT, InteractionChannel.ON_SITE, 20),
    (InteractionKind.ONLINE_MEETING, InteractionChannel.VIDEO, 15),
    (InteractionKind.MARKET_UPDATE, InteractionChannel.WECOM, 10),
    (InteractionKind.OTHER, InteractionChannel.WECHAT, 5),
]
SUMMARIES = [
    "了解本季度出货进度，对方反馈新品铺货顺利。",
    "沟通返利政策细则，对方关注阶梯门槛。",
    "门店陈列检查，样机摆放需调整。",
    "讨论下季度目标，对方希望增加市场支持。",
    "分享竞品价格动态，提醒注意窜货。",
    "客户投诉处理进展回访，对方表示满意。",
    "培训安排确认，下月组织销售培训。",
]
COLUMNS = (
    "partner_id", "kind", "channel", "occurred_at", "summary", "next_steps", "follow_up_on",
    "logged_by_id", "logged_at",
)  # fmt: skip


def _rows(seed: int, count: int, today: date) -> Iterator[tuple]:
    partners = Partner.objects.filter(code__startswith=f"D{seed}-", owner__isnull=False)
    slots = [
        (pk, owner)
        for pk, owner, tier in partners.order_by("pk").values_list("pk", "owner_id", "tier")
        for _ in range(TIER_WEIGHT.get(tier, 1))
    ]
    if not slots:
        return iter(())
    return _generate(random.Random(seed * 7919), count, today, slots)


def _generate(
    rng: random.Random, count: int, today: date, slots: list[tuple[int, int]]
) -> Iterator[tuple]:
    zone = timezone.get_current_timezone()
    kinds = [(kind, channel) for kind, channel, weight in KINDS for _ in range(weight)]
    for _ in range(count):
        partner, owner = slots[int(rng.random() * len(slots))]
        kind, channel = kinds[int(rng.random() * len(kinds))]
        day = today - timedelta(days=int(rng.random() * DAYS) + 1)
        moment = datetime.combine(day, time(9 + int(rng.random() * 9), 0), tzinfo=zone)
        follow_up = day + timedelta(days=rng.randint(3, 30)) if rng.random() < 0.1 else None
        yield (partner, kind, channel, moment, SUMMARIES[int(rng.random() * len(SUMMARIES))],
               "", follow_up, owner, moment)  # fmt: skip


@transaction.atomic
def seed_interactions(
    *, seed: int, count: int, today: date, progress: Callable[[int], None] | None = None
) -> int:
    """Add `count` demo interactions for the demo partners of `seed`, once, then plan every
    partner's maintenance tasks from them."""
    demo = Interaction.objects.filter(partner__code__startswith=f"D{seed}-")
    if count <= 0 or demo.exists():
        return 0
    rows = _rows(seed, count, today)
    written = 0
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Interaction._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
            with cursor.cursor.copy(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for written, row in enumerate(rows, start=1):  # noqa: B007
                    copy.write_row(row)
                    if progress and written % 200_000 == 0:
                        progress(written)
    else:
        batch: list[Interaction] = []
        for written, row in enumerate(rows, start=1):  # noqa: B007
            values = dict(zip(COLUMNS, row, strict=True))
            batch.append(Interaction(**values))
            if len(batch) == 5000:
                Interaction.objects.bulk_create(batch)
                batch = []
        Interaction.objects.bulk_create(batch)
    _timeline_entries(demo)
    analyze(Partner, Interaction)  # else the planning below can scan quadratically
    ensure_planned_tasks(Partner.objects.filter(code__startswith=f"D{seed}-"), today=today)
    return written


def _timeline_entries(interactions: QuerySet[Interaction]) -> None:
    """Put the demo interactions on their partners' timelines, as logging them would."""
    events = (
        PartnerEvent(
            partner_id=row["partner_id"],
            kind=TimelineKind.INTERACTION_LOGGED,
            occurred_at=row["occurred_at"],
            actor_id=row["logged_by_id"],
            details={
                "interaction": row["pk"],
                "kind": row["kind"],
                "summary": row["summary"],
                "follow_up_on": row["follow_up_on"],
            },
        )
        for row in interactions.values(
            "pk", "partner_id", "occurred_at", "logged_by_id", "kind", "summary", "follow_up_on"
        ).iterator(chunk_size=20_000)
    )
    batch: list[PartnerEvent] = []
    for event in events:
        batch.append(event)
        if len(batch) == 20_000:
            insert_rows(PartnerEvent, batch)
            batch = []
    insert_rows(PartnerEvent, batch)
