"""Writes of the tier engine: the scoring model, starting runs (beat at each quarter's
start, or a sales VP on demand), and deciding proposals — an approved change goes through
`partners.services.change_tier` (history, timeline, re-planned maintenance and reviews)
on its effective date."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from channelhub.lib.periods import Quarter
from partners.services import change_tier

from .choices import ProposalStatus, RunStatus
from .models import EvaluationRun, PartnerScore, ScoringModel, TierProposal

if TYPE_CHECKING:
    from accounts.models import User


def scoring_model() -> ScoringModel:
    found, _created = ScoringModel.objects.get_or_create(pk=1)
    return found


@transaction.atomic
def update_scoring_model(model: ScoringModel, *, changed_by: User | None) -> ScoringModel:
    if not any(model.weights().values()):
        raise ValidationError(_("Give at least one criterion a weight."))
    model._history_user = changed_by  # type: ignore[attr-defined]
    model.full_clean()
    model.save()
    return model


STALE_AFTER = timedelta(minutes=30)  # a run whose worker died: no progress for this long
FIRST_QUARTER = Quarter(2000, 1)


@transaction.atomic
def start_run(quarter: Quarter, *, started_by: User | None) -> EvaluationRun:
    """Queue an evaluation of every partner at the start of `quarter` (over the four
    quarters before it); the Celery task runs it once this transaction commits. One run at
    a time: starts are serialised on the scoring model's row, and a run without progress
    for STALE_AFTER (its worker died) no longer blocks."""
    if not FIRST_QUARTER <= quarter <= Quarter.of(timezone.localdate()):
        raise ValidationError({"quarter": _("Evaluate this quarter or an earlier one.")})
    model = ScoringModel.objects.select_for_update().get(pk=scoring_model().pk)
    abandon_stale_runs(EvaluationRun.objects.all())
    if EvaluationRun.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).exists():
        raise ValidationError(_("An evaluation is already running."))
    run = EvaluationRun.objects.create(
        year=quarter.year, quarter=quarter.number, model=model.snapshot(),
        created_by=started_by,
    )  # fmt: skip
    from .tasks import evaluate_task

    transaction.on_commit(lambda: evaluate_task.delay(run.pk))
    return run


def abandon_stale_runs(runs: QuerySet[Any]) -> None:
    """Runs (of any kind with status, heartbeat and start) whose worker died: no progress for
    STALE_AFTER. They fail, and no longer block a new run."""
    cutoff = timezone.now() - STALE_AFTER
    runs.filter(
        Q(status=RunStatus.RUNNING, heartbeat_at__lt=cutoff)
        | Q(status=RunStatus.QUEUED, created_at__lt=cutoff)
    ).update(status=RunStatus.FAILED, error=_("Abandoned: no progress for 30 minutes."))


def run_evaluation(run_id: int) -> EvaluationRun:
    """What the task does: claim the run (queued, or running without progress: a worker
    died and the task was redelivered — its partial scores are dropped), score it; a
    failure is recorded on it, never silent."""
    from .engine import evaluate_run

    now = timezone.now()
    claimed = (
        EvaluationRun.objects.filter(pk=run_id)
        .filter(Q(status=RunStatus.QUEUED)
                | Q(status=RunStatus.RUNNING, heartbeat_at__lt=now - STALE_AFTER))
        .update(status=RunStatus.RUNNING, heartbeat_at=now, scored=0, error="")
    )  # fmt: skip
    run = EvaluationRun.objects.get(pk=run_id)
    if not claimed:
        return run
    PartnerScore.objects.filter(run=run).delete()
    try:
        return evaluate_run(run)
    except Exception as error:
        EvaluationRun.objects.filter(pk=run_id).update(
            status=RunStatus.FAILED, error=f"{type(error).__name__}: {error}"[:2000],
            finished_at=timezone.now(),
        )  # fmt: skip
        raise


def ensure_quarter_evaluation(today: date) -> EvaluationRun | None:
    """Daily (beat): the quarter's evaluation, once, on its first day or the first day beat
    runs after it."""
    quarter = Quarter.of(today)
    started = EvaluationRun.objects.filter(
        year=quarter.year, quarter=quarter.number,
        status__in=[RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.DONE],
    )  # fmt: skip
    if started.exists():
        return None
    try:
        return start_run(quarter, started_by=None)
    except ValidationError:
        return None


def _locked_open(proposals: Iterable[TierProposal]) -> list[TierProposal]:
    ids = [proposal.pk for proposal in proposals]
    locked = list(
        TierProposal.objects.select_for_update(of=("self",))
        .select_related("partner", "score", "score__run", "run")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    if not locked or any(p.status != ProposalStatus.OPEN for p in locked):
        raise ValidationError(_("Only proposals waiting for a decision can be decided."))
    return locked


@transaction.atomic
def approve_proposals(
    proposals: Iterable[TierProposal],
    *,
    approved_by: User,
    comment: str = "",
    effective_on: date | None = None,
) -> list[TierProposal]:
    """Approve: the change takes effect on `effective_on` (today by default; a later date
    is applied by beat on that day)."""
    today = timezone.localdate()
    effective_on = effective_on or today
    if effective_on < today:
        raise ValidationError({"effective_on": _("The effective date cannot be in the past.")})
    decided = []
    for proposal in _locked_open(proposals):
        proposal.status = ProposalStatus.APPROVED
        proposal.decided_by, proposal.decided_at = approved_by, timezone.now()
        proposal.comment, proposal.effective_on = comment.strip(), effective_on
        proposal._history_user = approved_by  # type: ignore[attr-defined]
        proposal.save()
        if effective_on <= today:
            _apply(proposal)
        decided.append(proposal)
    return decided


@transaction.atomic
def reject_proposals(
    proposals: Iterable[TierProposal], *, rejected_by: User, comment: str
) -> list[TierProposal]:
    if not comment.strip():
        raise ValidationError({"comment": _("Say why the proposal is rejected.")})
    decided = []
    for proposal in _locked_open(proposals):
        proposal.status = ProposalStatus.REJECTED
        proposal.decided_by, proposal.decided_at = rejected_by, timezone.now()
        proposal.comment = comment.strip()
        proposal._history_user = rejected_by  # type: ignore[attr-defined]
        proposal.save()
        decided.append(proposal)
    return decided


def _apply(proposal: TierProposal) -> None:
    """The tier changes through the partners' service: history, timeline, re-planning."""
    reason = _("Tier evaluation %(quarter)s (run #%(run)s): score %(score)s.") % {
        "quarter": proposal.run.period, "run": proposal.run_id, "score": proposal.score.score,
    }  # fmt: skip
    if proposal.comment:
        reason = f"{reason} {proposal.comment}"
    if proposal.partner.tier != proposal.from_tier:  # moved by hand meanwhile
        proposal.status = ProposalStatus.SUPERSEDED
    else:
        change_tier(
            proposal.partner, to_tier=proposal.to_tier, changed_by=proposal.decided_by,
            reason=reason, effective_on=proposal.effective_on,
        )  # fmt: skip
        proposal.status = ProposalStatus.APPLIED
    proposal.save(update_fields=["status"])


@transaction.atomic
def apply_due_proposals(today: date) -> int:
    """Daily (beat): approved changes whose effective date has come."""
    due = list(
        TierProposal.objects.select_for_update(of=("self",))
        .select_related("partner", "score", "run", "decided_by")
        .filter(status=ProposalStatus.APPROVED, effective_on__lte=today)
    )
    for proposal in due:
        _apply(proposal)
    return len(due)


def supersede_open_proposals(partner_id: int) -> int:
    """A tier changed by hand: the partner's open proposal was made for its old tier."""
    return TierProposal.objects.filter(partner_id=partner_id, status=ProposalStatus.OPEN).update(
        status=ProposalStatus.SUPERSEDED
    )
