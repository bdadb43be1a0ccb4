"""Writes of business reviews: the quarter's plan, scheduling, the record and scorecard,
the workflow planned → held → closed (or cancelled), and the action items."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from channelhub.lib.money import quantize
from channelhub.lib.periods import Quarter
from dashboards.services import queue_partners, queue_partners_of
from maintenance.choices import ReviewFrequency
from maintenance.services import policies, store_attachments
from partners.choices import PartnerStatus, TimelineKind
from partners.models import Contact, Partner
from partners.services import record_event
from sales.performance import quarter_review_figures

from .choices import ActionStatus, Dimension, ReviewFormat, ReviewStatus
from .models import (
    BusinessReview,
    ReviewAction,
    ReviewAttachment,
    ReviewPlanRun,
    ScorecardWeights,
)

if TYPE_CHECKING:
    from accounts.models import User

SCORE_PLACES = Decimal("0.01")


def reviews_in(frequency: str, quarter: Quarter) -> bool:
    """Every quarter, or every half-year: then in the half-year's second quarter (Q2, Q4),
    looking back at the whole half."""
    return frequency == ReviewFrequency.QUARTER or quarter.number in (2, 4)


def plan_quarter(
    quarter: Quarter, *, partners: QuerySet[Partner] | None = None, planned_by: User | None = None
) -> int:
    """Give every partner that is due a review this quarter (by its tier's policy), is not
    terminated and has an owner, its review — unless it has one. Set-based and safe to run
    twice or concurrently (the one-review-per-quarter constraint decides). Returns how many
    reviews were planned."""
    tiers = [
        tier for tier, policy in policies().items() if reviews_in(policy.review_every, quarter)
    ]
    started = timezone.now()
    created = _insert_plan(quarter, tiers, partners, planned_by) if tiers else 0
    if created:  # the partners of the reviews just planned
        queue_partners_of(
            BusinessReview.objects.filter(
                year=quarter.year, quarter=quarter.number, created_at__gte=started
            )
        )
    ReviewPlanRun.objects.create(
        year=quarter.year, quarter=quarter.number, ran_by=planned_by, created=created
    )
    return created


def _insert_plan(
    quarter: Quarter, tiers: list[str], partners: QuerySet[Partner] | None, by: User | None
) -> int:
    """One portable INSERT … SELECT (`make bench`: a Python loop over 100 000 partners took
    eight times as long). A partner with any review of the quarter is skipped — one
    cancelled with a reason stays cancelled — and ON CONFLICT leaves a review planned
    meanwhile by someone else alone."""
    ops = connection.ops
    given: dict[str, tuple[str, list[Any]]] = {
        "partner_id": ("p.id", []),
        "year": ("%s", [quarter.year]),
        "quarter": ("%s", [quarter.number]),
        "due_on": ("%s", [ops.adapt_datefield_value(quarter.end)]),
        "tier": ("p.tier", []),
        "manager_id": ("p.owner_id", []),
        "status": ("%s", [ReviewStatus.PLANNED.value]),
        "created_at": ("%s", [ops.adapt_datetimefield_value(timezone.now())]),
        "created_by_id": ("%s", [by.pk if by else None]),
    }
    for field in BusinessReview._meta.concrete_fields:
        if not (field.primary_key or field.null or field.column in given):
            given[field.column] = ("''", [])  # the texts left blank (agenda, notes, …)
    columns = ", ".join(ops.quote_name(column) for column in given)
    values = ", ".join(expression for expression, _params in given.values())
    params: list[Any] = [param for _expression, values_ in given.values() for param in values_]
    conditions = [
        "p.status <> %s",
        "p.owner_id IS NOT NULL",
        f"p.tier IN ({', '.join(['%s'] * len(tiers))})",
        f"NOT EXISTS (SELECT 1 FROM {BusinessReview._meta.db_table} r "
        "WHERE r.partner_id = p.id AND r.year = %s AND r.quarter = %s)",
    ]
    params += [PartnerStatus.TERMINATED.value, *tiers, quarter.year, quarter.number]
    if partners is not None:
        subquery, subquery_params = partners.values("pk").query.sql_with_params()
        conditions.append(f"p.id IN ({subquery})")
        params += subquery_params
    sql = (
        f"INSERT INTO {BusinessReview._meta.db_table} ({columns}) "
        f"SELECT {values} FROM {Partner._meta.db_table} p WHERE {' AND '.join(conditions)} "
        "ON CONFLICT DO NOTHING"
    )  # noqa: S608 (table and column names come from the models; values are parameters)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def ensure_quarter_plan(today: date) -> int:
    """Beat's daily call: plan the quarter once, on its first day or the first day beat runs
    after it (a plan made on demand counts)."""
    quarter = Quarter.of(today)
    planned = ReviewPlanRun.objects.filter(
        year=quarter.year, quarter=quarter.number, ran_at__date__gte=quarter.start
    )  # a plan made before the quarter began misses the partners that changed since
    if planned.exists():
        return 0
    return plan_quarter(quarter)


@transaction.atomic
def plan_review(partner: Partner, *, quarter: Quarter, planned_by: User | None) -> BusinessReview:
    """One partner's review for a quarter, on demand (a new partner, an extra quarter)."""
    if partner.status == PartnerStatus.TERMINATED:
        raise ValidationError(_("The partner is terminated."))
    if partner.owner_id is None:
        raise ValidationError(_("The partner has no owner to hold the review."))
    if (
        BusinessReview.objects.counted()
        .filter(partner=partner, year=quarter.year, quarter=quarter.number)
        .exists()
    ):
        raise ValidationError(
            _("The partner already has a review for %(quarter)s.") % {"quarter": quarter}
        )
    review = BusinessReview(
        partner=partner,
        year=quarter.year,
        quarter=quarter.number,
        due_on=quarter.end,
        tier=partner.tier,
        manager_id=partner.owner_id,
        created_by=planned_by,
    )
    review._history_user = planned_by  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            review.save()
    except IntegrityError as error:  # planned by someone else meanwhile
        raise ValidationError(
            _("The partner already has a review for %(quarter)s.") % {"quarter": quarter}
        ) from error
    queue_partners([partner.pk])
    return review


def sync_reviews(partners: QuerySet[Partner]) -> int:
    """Open reviews follow their partner: a terminated partner's planned reviews are
    cancelled, and a new owner takes over the reviews not yet closed. Called by the partner
    writes that change owner or status."""
    open_reviews = BusinessReview.objects.filter(
        partner__in=partners, status__in=(ReviewStatus.PLANNED, ReviewStatus.HELD)
    )
    orphaned = open_reviews.filter(
        status=ReviewStatus.PLANNED, partner__status=PartnerStatus.TERMINATED
    )
    changed = 0
    with translation.override(settings.LANGUAGE_CODE):  # stored text: the company language
        reason = _("The partner was terminated.")
    for review in orphaned:  # a partner has one or two: each with its history and timeline
        cancel_review(review, cancelled_by=None, reason=reason)
        changed += 1
    owner = Partner.objects.filter(pk=OuterRef("partner_id")).values("owner_id")[:1]
    changed += (
        open_reviews.filter(partner__owner__isnull=False)
        .exclude(manager_id=Subquery(owner))
        .update(manager_id=Subquery(owner))
    )
    return changed


def _sees(user: User, partner_id: int) -> bool:
    return Partner.objects.visible_to(user).filter(pk=partner_id).exists()


def _locked(review: BusinessReview, *statuses: str) -> BusinessReview:
    locked = BusinessReview.objects.select_for_update().select_related("partner").get(pk=review.pk)
    if locked.status not in statuses:
        raise ValidationError(
            _("The review is %(status)s: this cannot be done now.")
            % {"status": locked.get_status_display()}
        )
    return locked


def _save(review: BusinessReview, actor: User | None) -> None:
    queue_partners([review.partner_id])  # held, closed or cancelled: review completion
    review._history_user = actor  # type: ignore[attr-defined]
    review.full_clean()
    review.save()


@transaction.atomic
def schedule_review(
    review: BusinessReview,
    *,
    scheduled_by: User | None,
    scheduled_at: datetime,
    format: str,
    agenda: str = "",
    staff: Iterable[User] = (),
    contacts: Iterable[Contact] = (),
) -> BusinessReview:
    """Pick the date, format, agenda and attendees of a planned review (again to move it)."""
    locked = _locked(review, ReviewStatus.PLANNED)
    if timezone.localdate(scheduled_at) < timezone.localdate():
        raise ValidationError({"scheduled_at": _("Choose a date from today on.")})
    if format not in ReviewFormat.values:
        raise ValidationError({"format": _("Choose on site or online.")})
    contacts, staff = list(contacts), list(staff)
    if any(contact.partner_id != locked.partner_id for contact in contacts):
        raise ValidationError({"contacts": _("Choose contacts of this partner.")})
    if any(not _sees(person, locked.partner_id) for person in staff):
        raise ValidationError({"staff": _("Attendees must be people who see the partner.")})
    if locked.scheduled_at is None or timezone.localdate(locked.scheduled_at) != timezone.localdate(
        scheduled_at
    ):  # a new day: the week-ahead reminder is due again (an agenda edit is not news)
        locked.schedule_set_on = timezone.localdate()
    locked.scheduled_at, locked.format, locked.agenda = scheduled_at, format, agenda
    _save(locked, scheduled_by)
    locked.staff.set(staff or ([scheduled_by] if scheduled_by else []))
    locked.contacts.set(contacts)
    record_event(
        locked.partner,
        TimelineKind.REVIEW_SCHEDULED,
        actor=scheduled_by,
        details={
            "review": locked.pk,
            "quarter": str(locked.period),
            "scheduled_at": timezone.localtime(scheduled_at).strftime("%Y-%m-%d %H:%M"),
            "format": format,
        },
    )
    return locked


@transaction.atomic
def record_review(
    review: BusinessReview,
    *,
    recorded_by: User | None,
    notes: str | None = None,
    partner_requests: str | None = None,
    scores: dict[str, int | None] | None = None,
    comments: dict[str, str] | None = None,
) -> BusinessReview:
    """Write the notes, the partner's requests and the scorecard of a review not yet closed
    (the scorecard once the review is held). Only the values given change."""
    locked = _locked(review, ReviewStatus.PLANNED, ReviewStatus.HELD)
    if notes is not None:
        locked.notes = notes
    if partner_requests is not None:
        locked.partner_requests = partner_requests
    if (scores or comments) and locked.status != ReviewStatus.HELD:
        raise ValidationError(_("Fill in the scorecard once the review has been held."))
    for key, value in (scores or {}).items():
        if key not in Dimension.values:
            raise ValidationError(_("Unknown scorecard dimension %(key)s.") % {"key": key})
        setattr(locked, f"{key}_score", value)
    for key, comment in (comments or {}).items():
        if key not in Dimension.values:
            raise ValidationError(_("Unknown scorecard dimension %(key)s.") % {"key": key})
        setattr(locked, f"{key}_comment", comment)
    locked.overall_score = (
        overall_score(locked.scores, current_weights().as_dict())
        if locked.scorecard_complete
        else None
    )
    _save(locked, recorded_by)
    return locked


def overall_score(scores: Mapping[str, int | None], weights: Mapping[str, int]) -> Decimal:
    """The weighted mean of the four ratings, rounded half-up to 2 places."""
    total_weight = sum(weights[key] for key in Dimension.values)
    weighted = sum(
        (Decimal(weights[key]) * Decimal(scores[key] or 0) for key in Dimension.values), Decimal(0)
    )
    return quantize(weighted / total_weight, SCORE_PLACES)


def current_weights() -> ScorecardWeights:
    weights, _created = ScorecardWeights.objects.get_or_create(pk=1)
    return weights


@transaction.atomic
def update_weights(*, changed_by: User | None, **values: int) -> ScorecardWeights:
    weights = ScorecardWeights.objects.select_for_update().get(pk=current_weights().pk)
    for key, value in values.items():
        setattr(weights, key, value)
    if not any(weights.as_dict().values()):
        raise ValidationError(_("At least one dimension needs a weight."))
    weights._history_user = changed_by  # type: ignore[attr-defined]
    weights.full_clean()
    weights.save()
    return weights


@transaction.atomic
def hold_review(review: BusinessReview, *, held_by: User | None, held_on: date) -> BusinessReview:
    """The meeting took place: the scorecard and action items can be filled in."""
    locked = _locked(review, ReviewStatus.PLANNED)
    if held_on > timezone.localdate():
        raise ValidationError({"held_on": _("A review cannot be held in the future.")})
    if held_on < locked.period.start:
        raise ValidationError(
            {"held_on": _("A review of %(quarter)s is held from %(date)s on.")
             % {"quarter": locked.period, "date": locked.period.start}}
        )  # fmt: skip
    locked.status, locked.held_on, locked.held_by = ReviewStatus.HELD, held_on, held_by
    _save(locked, held_by)
    record_event(
        locked.partner,
        TimelineKind.REVIEW_HELD,
        actor=held_by,
        details={"review": locked.pk, "quarter": str(locked.period), "held_on": held_on},
    )
    return locked


@transaction.atomic
def close_review(review: BusinessReview, *, closed_by: User | None) -> BusinessReview:
    """Close a held review with a complete scorecard: the sales figures and the weights are
    frozen as they are now; later corrections to sales do not change it."""
    locked = _locked(review, ReviewStatus.HELD)
    missing = [str(label) for key, label in Dimension.choices if locked.scores[key] is None]
    if missing:
        raise ValidationError(
            _("Rate every dimension of the scorecard before closing: %(missing)s.")
            % {"missing": ", ".join(missing)}
        )
    weights = current_weights().as_dict()
    locked.weights = weights
    locked.overall_score = overall_score(locked.scores, weights)
    locked.figures = quarter_review_figures(locked.partner_id, locked.period)
    locked.status, locked.closed_by, locked.closed_at = (
        ReviewStatus.CLOSED,
        closed_by,
        timezone.now(),
    )
    _save(locked, closed_by)
    record_event(
        locked.partner,
        TimelineKind.REVIEW_CLOSED,
        actor=closed_by,
        details={
            "review": locked.pk,
            "quarter": str(locked.period),
            "overall_score": str(locked.overall_score),
        },
    )
    return locked


@transaction.atomic
def cancel_review(
    review: BusinessReview, *, cancelled_by: User | None, reason: str
) -> BusinessReview:
    locked = _locked(review, ReviewStatus.PLANNED, ReviewStatus.HELD)
    if not reason.strip():
        raise ValidationError({"cancel_reason": _("Say why the review is cancelled.")})
    locked.status, locked.cancel_reason = ReviewStatus.CANCELLED, reason.strip()
    locked.cancelled_by, locked.cancelled_at = cancelled_by, timezone.now()
    _save(locked, cancelled_by)
    record_event(
        locked.partner,
        TimelineKind.REVIEW_CANCELLED,
        actor=cancelled_by,
        details={"review": locked.pk, "quarter": str(locked.period), "reason": reason[:300]},
    )
    return locked


@transaction.atomic
def add_attachments(
    review: BusinessReview, *, uploaded_by: User | None, uploads: Sequence[UploadedFile]
) -> list[ReviewAttachment]:
    locked = _locked(review, ReviewStatus.PLANNED, ReviewStatus.HELD)
    return store_attachments(
        ReviewAttachment, uploads, already=locked.attachments.count(), review=locked,
        uploaded_by=uploaded_by,
    )  # fmt: skip


@transaction.atomic
def add_action(
    review: BusinessReview,
    *,
    created_by: User | None,
    title: str,
    due_on: date,
    owner_user: User | None = None,
    owner_contact: Contact | None = None,
) -> ReviewAction:
    """An action agreed in a held review, owned by one of our people (who must see the
    partner) or by one of the partner's contacts."""
    locked = _locked(review, ReviewStatus.HELD)
    if not title.strip():
        raise ValidationError({"title": _("Say what is to be done.")})
    if (owner_user is None) == (owner_contact is None):
        raise ValidationError(_("Give the action one owner: one of us or a partner contact."))
    if owner_contact is not None and owner_contact.partner_id != locked.partner_id:
        raise ValidationError({"owner_contact": _("Choose contacts of this partner.")})
    if owner_user is not None and not _sees(owner_user, locked.partner_id):
        raise ValidationError({"owner_user": _("The owner must be someone who sees the partner.")})
    action = ReviewAction(
        review=locked,
        partner_id=locked.partner_id,
        title=title.strip(),
        due_on=due_on,
        owner_user=owner_user,
        owner_contact=owner_contact,
        created_by=created_by,
    )
    action._history_user = created_by  # type: ignore[attr-defined]
    action.full_clean()
    action.save()
    record_event(
        locked.partner,
        TimelineKind.REVIEW_ACTION_ADDED,
        actor=created_by,
        details=_action_details(action),
    )
    return action


def _action_details(action: ReviewAction) -> dict[str, Any]:
    return {
        "review": action.review_id,
        "action": action.pk,
        "title": action.title[:200],
        "owner": str(action.owner),
        "due_on": action.due_on,
        "status": action.status,
    }


def _close_action(action: ReviewAction, *, by: User | None, status: str, note: str) -> ReviewAction:
    locked = ReviewAction.objects.select_for_update().select_related("partner").get(pk=action.pk)
    if locked.status != ActionStatus.OPEN:
        raise ValidationError(_("The action item is no longer open."))
    locked.status, locked.note, locked.closed_by = status, note or locked.note, by
    locked.completed_on = timezone.localdate() if status == ActionStatus.DONE else None
    locked._history_user = by
    locked.save()
    record_event(
        locked.partner, TimelineKind.REVIEW_ACTION_CLOSED, actor=by, details=_action_details(locked)
    )
    return locked


@transaction.atomic
def complete_action(
    action: ReviewAction, *, completed_by: User | None, note: str = ""
) -> ReviewAction:
    return _close_action(action, by=completed_by, status=ActionStatus.DONE, note=note)


@transaction.atomic
def cancel_action(action: ReviewAction, *, cancelled_by: User | None, note: str) -> ReviewAction:
    if not note.strip():
        raise ValidationError({"note": _("Say why the action item is cancelled.")})
    return _close_action(action, by=cancelled_by, status=ActionStatus.CANCELLED, note=note)


def figure_changes(review: BusinessReview) -> dict[str, Any]:
    """For a closed review: the frozen figures that differ from the live ones now
    ({key: live value}); empty when sales were not corrected since."""
    if review.figures is None:
        return {}
    live = quarter_review_figures(review.partner_id, review.period)
    return {key: value for key, value in live.items() if review.figures.get(key) != value}
