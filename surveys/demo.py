"""Deterministic demo surveys: the last three months' surveys of the first DEMO_PARTNERS
demo partners with a primary contact's email, about two in three answered with varied
scores and some comments (their links were never emailed: they open nothing)."""

from __future__ import annotations

import random
import secrets
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from partners.choices import PartnerStatus
from partners.models import Contact

from .choices import SurveyStatus
from .models import Survey, SurveyResponse, is_low_score
from .services import asked_questions, hash_token, month_of

DEMO_PARTNERS = 200
MONTHS = 3
COMMENTS = ["交货及时，服务很好。", "希望返利结算再快一些。", "新品培训很有帮助。",
            "物流偶尔延迟。", "价格政策调整太频繁。", ""]  # fmt: skip


@transaction.atomic
def seed_surveys(*, seed: int, today: date) -> int:
    """Returns how many surveys were written (none when they are already there)."""
    contacts = list(
        Contact.objects.filter(
            partner__code__startswith=f"D{seed}-", is_primary=True,
            partner__status=PartnerStatus.ACTIVE,
        )
        .exclude(email="")
        .select_related("partner")
        .order_by("partner_id")[:DEMO_PARTNERS]
    )  # fmt: skip
    if not contacts or Survey.objects.filter(partner=contacts[0].partner).exists():
        return 0
    rng = random.Random(seed * 7919)
    questions = [question.snapshot() for question in asked_questions()]
    this_month = month_of(today)
    surveys, answers = [], []
    for back in range(MONTHS, 0, -1):
        month = month_of(this_month - timedelta(days=28 * back))
        sent_at = timezone.make_aware(datetime.combine(month, time(10)))
        for contact in contacts:
            answered = rng.random() < 0.65
            survey = Survey(
                partner=contact.partner, month=month, contact=contact, email=contact.email,
                language=contact.language, manager_id=contact.partner.owner_id,
                tier=contact.partner.tier, questions=questions,
                status=SurveyStatus.ANSWERED if answered else SurveyStatus.SENT,
                token_hash=hash_token(secrets.token_urlsafe(24)), attempts=1, sent_at=sent_at,
                expires_at=sent_at + timedelta(days=30),
            )  # fmt: skip
            surveys.append(survey)
            if answered:
                level = rng.choice([2, 3, 4, 4, 5, 5])
                satisfaction = max(1, min(5, level + rng.choice([-1, 0, 0, 1])))
                recommend = max(0, min(10, 2 * level + rng.choice([-2, -1, 0, 0, 1])))
                delay = timedelta(days=rng.randint(0, 9), hours=rng.randint(0, 8))
                answers.append(
                    (survey, satisfaction, recommend, rng.choice(COMMENTS), sent_at + delay)
                )
    Survey.objects.bulk_create(surveys, batch_size=1000)
    SurveyResponse.objects.bulk_create(
        [
            SurveyResponse(
                survey=survey, partner_id=survey.partner_id, satisfaction=satisfaction,
                recommend=recommend, comment=comment, submitted_at=submitted_at,
                needs_follow_up=is_low_score(satisfaction, recommend),
            )
            for survey, satisfaction, recommend, comment, submitted_at in answers
        ],
        batch_size=1000,
    )  # fmt: skip
    return len(surveys)
