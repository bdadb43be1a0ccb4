"""Writes of the satisfaction surveys: the settings and questions, the month's surveys
(created, then each sent with a fresh secret link), and the partner's answers.

The link's token is 192 random bits from `secrets`; only its SHA-256 is stored, so the
database cannot answer a survey. A survey is claimed for sending by a conditional UPDATE
(two senders never send it twice) and answered by another (two submissions store one)."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from maintenance.services import create_adhoc_task
from partners.choices import PartnerStatus, TimelineKind
from partners.models import Contact, Partner
from partners.services import record_event

from .choices import CORE_QUESTION_KINDS, QuestionKind, SurveyStatus
from .models import Survey, SurveyQuestion, SurveyResponse, SurveySettings, is_low_score

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

TOKEN_BYTES = 24  # 192 bits
MAX_ATTEMPTS = 5
STUCK_AFTER = timedelta(minutes=10)
FOLLOW_UP_WITHIN_DAYS = 2
CREATE_BATCH = 2000


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def survey_link(token: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{reverse('survey_answer')}?t={token}"


def month_of(day: date) -> date:
    return day.replace(day=1)


# --- Settings and questions ------------------------------------------------------------


def survey_settings() -> SurveySettings:
    found, _created = SurveySettings.objects.get_or_create(pk=1)
    return found


@transaction.atomic
def update_settings(row: SurveySettings, *, changed_by: User | None) -> SurveySettings:
    row._history_user = changed_by  # type: ignore[attr-defined]
    row.full_clean()
    row.save()
    return row


# The three questions every survey asks, as first worded (a sales VP may reword them).
CORE_QUESTIONS: dict[str, dict[str, Any]] = {
    QuestionKind.SATISFACTION: {
        "text_zh": "总体来说，您对与我们的合作满意吗？",
        "text_en": "Overall, how satisfied are you with working with us?",
        "position": 1,
        "is_required": True,
    },
    QuestionKind.RECOMMEND: {
        "text_zh": "您有多大可能向同行推荐与我们合作？",
        "text_en": "How likely are you to recommend working with us to a peer?",
        "position": 2,
        "is_required": True,
    },
    QuestionKind.COMMENT: {
        "text_zh": "还有什么想告诉我们的吗？",
        "text_en": "Is there anything else you would like to tell us?",
        "position": 3,
        "is_required": False,
    },
}


def asked_questions() -> list[SurveyQuestion]:
    """The questions a survey sent now asks (a missing core question is restored first)."""
    questions = list(SurveyQuestion.objects.filter(is_active=True))
    missing = set(CORE_QUESTIONS) - {question.kind for question in questions}
    for kind in missing:
        SurveyQuestion.objects.get_or_create(kind=kind, defaults=CORE_QUESTIONS[kind])
    if missing:
        questions = list(SurveyQuestion.objects.filter(is_active=True))
    return questions


@transaction.atomic
def save_question(question: SurveyQuestion, *, saved_by: User | None) -> SurveyQuestion:
    """Add or edit a question. The three core questions cannot be retired or change kind;
    their wording and order can."""
    if question.pk:
        before = SurveyQuestion.objects.select_for_update().get(pk=question.pk)
        if before.kind != question.kind:
            raise ValidationError({"kind": _("A question's kind cannot change.")})
    elif question.kind in CORE_QUESTION_KINDS:
        raise ValidationError({"kind": _("Add a rating or free-text question.")})
    if question.kind in CORE_QUESTION_KINDS and not question.is_active:
        raise ValidationError({"is_active": _("This question is always asked.")})
    question._history_user = saved_by  # type: ignore[attr-defined]
    question.full_clean()
    question.save()
    return question


# --- The month's surveys -----------------------------------------------------------------


def due_month(now: datetime) -> date | None:
    """The month whose surveys are due by `now` (None before the settings' day and hour, or
    when surveys are off)."""
    config = survey_settings()
    local = timezone.localtime(now)
    if not config.is_enabled:
        return None
    if (local.day, local.hour) < (config.send_day, config.send_hour):
        return None
    return month_of(local.date())


def create_month_surveys(month: date, *, partners: Any = None) -> int:
    """Give every active partner whose primary contact has an email the month's survey —
    unless it has one. Safe to run twice or concurrently (one survey per partner and month).
    Returns how many were created."""
    questions = [question.snapshot() for question in asked_questions()]
    contacts = (
        Contact.objects.filter(is_primary=True, partner__status=PartnerStatus.ACTIVE)
        .exclude(email="")
        .exclude(partner__surveys__month=month)
        .values_list("pk", "partner_id", "email", "language", "partner__owner_id", "partner__tier")
        .order_by("partner_id")
    )
    if partners is not None:
        contacts = contacts.filter(partner__in=partners)
    created = 0
    batch: list[Survey] = []
    for contact_id, partner_id, email, language, owner_id, tier in contacts.iterator(CREATE_BATCH):
        batch.append(
            Survey(partner_id=partner_id, month=month, contact_id=contact_id, email=email,
                   language=language, manager_id=owner_id, tier=tier, questions=questions,
                   next_attempt_at=timezone.now())
        )  # fmt: skip
        if len(batch) == CREATE_BATCH:
            created += len(Survey.objects.bulk_create(batch, ignore_conflicts=True))
            batch = []
    if batch:
        created += len(Survey.objects.bulk_create(batch, ignore_conflicts=True))
    return created


def run_surveys(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """What beat runs (hourly): create the month's surveys once they are due, then send what
    is waiting. A month missed while the system was down is created when it is back."""
    now = now or timezone.now()
    month = due_month(now)
    created = create_month_surveys(month) if month else 0
    return {"created": created, **send_pending_surveys(now=now, limit=limit)}


def send_pending_surveys(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    now = now or timezone.now()
    Survey.objects.filter(status=SurveyStatus.SENDING, claimed_at__lt=now - STUCK_AFTER).update(
        status=SurveyStatus.PENDING, token_hash=None
    )
    result = {"sent": 0, "failed": 0}
    due = Survey.objects.filter(status=SurveyStatus.PENDING, next_attempt_at__lte=now)
    valid_days = survey_settings().valid_days
    for pk in due.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit]:
        outcome = send_survey(pk, now=now, valid_days=valid_days)
        if outcome is not None:
            result["sent" if outcome else "failed"] += 1
    return result


def send_survey(pk: int, *, now: datetime, valid_days: int | None = None) -> bool | None:
    """Claim one survey, give it a new link and email it. True: sent; False: this attempt
    failed (retried with backoff, failed for good after MAX_ATTEMPTS; the link of a failed
    attempt never works); None: someone else has it or it is done."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    token_hash = hash_token(token)
    valid_days = valid_days or survey_settings().valid_days
    claimed = Survey.objects.filter(pk=pk, status=SurveyStatus.PENDING).update(
        status=SurveyStatus.SENDING,
        claimed_at=timezone.now(),  # when this row was claimed, for the stuck-row janitor
        attempts=F("attempts") + 1,
        token_hash=token_hash,
        sent_at=now,
        expires_at=now + timedelta(days=valid_days),
    )
    if not claimed:
        return None
    survey = Survey.objects.select_related("partner", "contact").get(pk=pk)
    # Later writes only while the claim is still ours (the janitor may have taken it back).
    ours = Survey.objects.filter(pk=pk, status=SurveyStatus.SENDING, token_hash=token_hash)
    try:
        _deliver(survey, token)
    except Exception as error:  # SMTP, a bad address: recorded, retried, never silent
        logger.warning("Survey %s failed (attempt %d): %s", pk, survey.attempts, error)
        final = survey.attempts >= MAX_ATTEMPTS
        ours.update(
            status=SurveyStatus.FAILED if final else SurveyStatus.PENDING,
            token_hash=None,
            sent_at=None,
            expires_at=None,
            next_attempt_at=None if final else now + timedelta(minutes=2**survey.attempts),
            last_error=f"{type(error).__name__}: {error}"[:2000],
        )
        return False
    with transaction.atomic():
        if not ours.update(status=SurveyStatus.SENT, last_error=""):
            return None
        record_event(
            survey.partner,
            TimelineKind.SURVEY_SENT,
            actor=None,
            details={"month": survey.month.strftime("%Y-%m"), "contact": survey.contact
                     and survey.contact.name or survey.email},
            occurred_at=now,
        )  # fmt: skip
    return True


def _deliver(survey: Survey, token: str) -> None:
    with translation.override(survey.language or settings.LANGUAGE_CODE):
        context = {
            "survey": survey,
            "partner": survey.partner,
            "contact": survey.contact,
            "link": survey_link(token),
            "expires_on": timezone.localdate(survey.expires_at),
        }
        subject = _("How satisfied are you with us? (%(month)s)") % {
            "month": survey.month.strftime("%Y-%m")
        }
        text = render_to_string("emails/survey.txt", context)
        html = render_to_string("emails/survey.html", context)
    message = EmailMultiAlternatives(subject, text, to=[survey.email])
    message.attach_alternative(html, "text/html")
    message.send(fail_silently=False)


@transaction.atomic
def resend_survey(survey: Survey, *, email: str | None = None) -> Survey:
    """Queue a survey that could not be sent (or whose link expired unanswered) again, with
    a new link; the old link stops working."""
    locked = Survey.objects.select_for_update().get(pk=survey.pk)
    if locked.status == SurveyStatus.ANSWERED:
        raise ValidationError(_("This survey has been answered."))
    if not (locked.status == SurveyStatus.FAILED or (
        locked.status == SurveyStatus.SENT and locked.is_expired
    )):  # fmt: skip
        raise ValidationError(_("Only a survey that could not be sent or whose link expired."))
    locked.status = SurveyStatus.PENDING
    locked.token_hash = None
    locked.sent_at = locked.expires_at = None
    locked.attempts = 0
    locked.next_attempt_at = timezone.now()
    if email:
        locked.email = email
    locked.full_clean()
    locked.save()
    return locked


# --- Answering ------------------------------------------------------------------------------


class SurveyLinkError(Exception):
    """The link cannot be used: `reason` is "invalid", "expired" or "answered"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def survey_for_token(token: str, *, now: datetime | None = None) -> Survey:
    """The survey a link answers, if it can still be answered."""
    if not token or len(token) > 100:
        raise SurveyLinkError("invalid")
    survey = (
        Survey.objects.select_related("partner")
        .filter(token_hash=hash_token(token))
        .exclude(status__in=[SurveyStatus.PENDING, SurveyStatus.FAILED])
        .first()
    )
    if survey is None:
        raise SurveyLinkError("invalid")
    if survey.status == SurveyStatus.ANSWERED:
        raise SurveyLinkError("answered")
    if survey.expires_at is None or survey.expires_at <= (now or timezone.now()):
        raise SurveyLinkError("expired")
    return survey


@dataclass(frozen=True)
class Answers:
    satisfaction: int | None
    recommend: int | None
    comment: str
    others: dict[str, Any]


def submit_response(token: str, answers: Answers, *, now: datetime | None = None) -> SurveyResponse:
    """Store the answers to the survey the token opens. The conditional UPDATE must touch
    exactly one row: of two simultaneous submissions, the second finds the survey answered.
    A score of 1–2 (satisfaction) or 0–6 (recommend) opens a follow-up task for the
    partner's owner, and puts the response in their digest."""
    now = now or timezone.now()
    survey = survey_for_token(token, now=now)
    _check_required(survey, answers)
    try:
        with transaction.atomic():
            answered = Survey.objects.filter(
                pk=survey.pk, status=SurveyStatus.SENT, token_hash=survey.token_hash,
                expires_at__gt=now,
            ).update(status=SurveyStatus.ANSWERED)  # fmt: skip
            if answered != 1:
                survey.refresh_from_db(fields=["status"])
                gone = survey.status == SurveyStatus.ANSWERED
                raise SurveyLinkError("answered" if gone else "expired")
            response = SurveyResponse.objects.create(
                survey=survey,
                partner=survey.partner,
                satisfaction=answers.satisfaction,
                recommend=answers.recommend,
                comment=answers.comment.strip(),
                answers=answers.others,
                submitted_at=now,
                needs_follow_up=is_low_score(answers.satisfaction, answers.recommend),
            )
            if response.needs_follow_up:
                response.follow_up_task = _follow_up_task(survey.partner, response, now)
                response.save(update_fields=["follow_up_task"])
            record_event(
                survey.partner,
                TimelineKind.SURVEY_ANSWERED,
                actor=None,
                details={"month": survey.month.strftime("%Y-%m"),
                         "satisfaction": answers.satisfaction, "recommend": answers.recommend,
                         "low": response.needs_follow_up},
                occurred_at=now,
            )  # fmt: skip
    except IntegrityError as error:  # a response row already there: the race was lost
        raise SurveyLinkError("answered") from error
    return response


def _check_required(survey: Survey, answers: Answers) -> None:
    values = {
        QuestionKind.SATISFACTION: answers.satisfaction,
        QuestionKind.RECOMMEND: answers.recommend,
        QuestionKind.COMMENT: answers.comment.strip() or None,
    }
    for question in survey.questions:
        value = values.get(question["kind"], answers.others.get(str(question["id"])))
        if question["required"] and value in (None, ""):
            raise ValidationError({f"q{question['id']}": _("Please answer this question.")})


def _follow_up_task(partner: Partner, response: SurveyResponse, now: datetime) -> Any:
    """The owner's call task; none when the partner has no owner who still sees it (the
    answer is kept all the same, flagged for a follow-up)."""
    owner = partner.owner
    if owner is None:
        return None
    with translation.override(owner.language or settings.LANGUAGE_CODE):
        scores = []
        if response.satisfaction is not None:
            scores.append(_("satisfaction %(score)d/5") % {"score": response.satisfaction})
        if response.recommend is not None:
            scores.append(_("recommend %(score)d/10") % {"score": response.recommend})
        title = _("Call about a low survey score (%(scores)s)") % {"scores": ", ".join(scores)}
    try:
        return create_adhoc_task(
            partner,
            created_by=None,
            title=title[:200],
            due_on=timezone.localdate(now) + timedelta(days=FOLLOW_UP_WITHIN_DAYS),
            assignee=owner,
            note=response.comment[:500],
        )
    except ValidationError:  # the owner no longer sees the partner
        return None
