"""Writes of partner issues and the knowledge base.

The SLA clock: an issue is due its tier policy's SLA days × 24 h after it was opened
(stored then). The clock pauses while the issue waits on the partner and once it is
resolved; when it runs again, `due_at` moves later by the pause. SLA met: resolved by
`due_at` — that is, within the SLA not counting the time spent waiting on the partner."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role
from maintenance.services import policies, store_attachments
from partners.choices import TimelineKind
from partners.models import Contact, Partner
from partners.services import record_event

from .choices import CLOCK_RUNNING, UNRESOLVED, CloseReason, IssueCategory, IssueStatus
from .models import Article, IssueAttachment, IssueComment, PartnerIssue

if TYPE_CHECKING:
    from accounts.models import User

AUTO_CLOSE_AFTER = timedelta(days=7)
WORK_PERMISSION = "support.change_partnerissue"


def may_work(issue: PartnerIssue, user: User) -> bool:
    """Managers, specialists and sales VPs work every issue they see; a support engineer
    (who reads every partner) works the issues assigned to them (product.md §1)."""
    if not user.has_perm(WORK_PERMISSION):
        return False
    staff_roles = {Role.CHANNEL_MANAGER, Role.CHANNEL_SPECIALIST, Role.SALES_VP}
    if user.is_superuser or user.role_names & staff_roles:
        return True
    return issue.assignee_id == user.pk


def _check_assignee(partner: Partner, assignee: User | None) -> None:
    if assignee is None:
        return
    if not (
        assignee.is_active
        and assignee.has_perm(WORK_PERMISSION)
        and Partner.objects.visible_to(assignee).filter(pk=partner.pk).exists()
    ):
        raise ValidationError(
            {"assignee": _("The assignee must be someone who works issues and sees the partner.")}
        )


def _check_contact(partner: Partner, contact: Contact | None) -> None:
    if contact is not None and contact.partner_id != partner.pk:
        raise ValidationError({"contact": _("Choose one of the partner's contacts.")})


def _save(issue: PartnerIssue, actor: User | None) -> PartnerIssue:
    issue._history_user = actor  # type: ignore[attr-defined]
    issue.full_clean()
    issue.save()
    return issue


@transaction.atomic
def open_issue(
    partner: Partner,
    *,
    opened_by: User | None,
    title: str,
    category: str,
    description: str,
    priority: str = "normal",
    contact: Contact | None = None,
    assignee: User | None = None,
    attachments: Sequence[UploadedFile] = (),
    now: datetime | None = None,
) -> PartnerIssue:
    """Open an issue: its SLA is the partner's tier policy's, fixed now. Unassigned, it
    goes to the partner's owner."""
    now = now or timezone.now()
    _check_contact(partner, contact)
    assignee = assignee or partner.owner
    _check_assignee(partner, assignee)
    sla_days = policies()[partner.tier].issue_sla_days
    due = now + timedelta(hours=24 * sla_days)
    issue = PartnerIssue(
        partner=partner, title=title.strip(), category=category, priority=priority,
        description=description.strip(), contact=contact, assignee=assignee,
        opened_by=opened_by, manager=partner.owner, tier=partner.tier, created_at=now,
        sla_days=sla_days, sla_due_at=due, due_at=due,
    )  # fmt: skip
    _save(issue, opened_by)
    if attachments:
        add_attachments(issue, uploaded_by=opened_by, uploads=attachments)
    _event(issue, TimelineKind.ISSUE_OPENED, opened_by, now)
    return issue


def _event(issue: PartnerIssue, kind: str, actor: User | None, now: datetime, **extra: Any) -> None:
    details = {"issue": issue.pk, "title": issue.title, "category": issue.category, **extra}
    record_event(issue.partner, kind, actor=actor, details=details, occurred_at=now)


def _locked(issue: PartnerIssue, *allowed: str) -> PartnerIssue:
    locked = PartnerIssue.objects.select_for_update().select_related("partner").get(pk=issue.pk)
    if allowed and locked.status not in allowed:
        raise ValidationError(
            _("This cannot be done to an issue that is %(status)s.")
            % {"status": locked.get_status_display()}
        )
    return locked


def _move(issue: PartnerIssue, status: str, now: datetime) -> None:
    """Change status and keep the SLA clock: pause when it stops, move `due_at` later by
    the pause when it runs again."""
    was_running = issue.status in CLOCK_RUNNING
    runs = status in CLOCK_RUNNING
    if was_running and not runs:
        issue.paused_since = now
    elif runs and not was_running and issue.paused_since is not None:
        pause = max(now - issue.paused_since, timedelta(0))
        issue.paused_seconds += int(pause.total_seconds())
        issue.due_at += pause
        issue.paused_since = None
    issue.status = status


@transaction.atomic
def assign_issue(issue: PartnerIssue, *, assignee: User, assigned_by: User | None) -> PartnerIssue:
    locked = _locked(issue, *UNRESOLVED)
    _check_assignee(locked.partner, assignee)
    locked.assignee = assignee
    return _save(locked, assigned_by)


@transaction.atomic
def start_issue(
    issue: PartnerIssue, *, started_by: User | None, now: datetime | None = None
) -> PartnerIssue:
    """Work on it (again): from new, reopened, or back from waiting on the partner."""
    now = now or timezone.now()
    locked = _locked(issue, IssueStatus.NEW, IssueStatus.REOPENED, IssueStatus.WAITING)
    _move(locked, IssueStatus.IN_PROGRESS, now)
    return _save(locked, started_by)


@transaction.atomic
def wait_on_partner(
    issue: PartnerIssue, *, by: User | None, message: str, now: datetime | None = None
) -> PartnerIssue:
    """Ask the partner for something (a shared comment) and pause the SLA clock."""
    now = now or timezone.now()
    if not message.strip():
        raise ValidationError({"message": _("Say what the partner should send or do.")})
    locked = _locked(issue, *CLOCK_RUNNING)
    _move(locked, IssueStatus.WAITING, now)
    _save(locked, by)
    _comment(locked, author=by, body=message, is_internal=False, now=now)
    return locked


@transaction.atomic
def resolve_issue(
    issue: PartnerIssue, *, resolved_by: User | None, resolution: str, now: datetime | None = None
) -> PartnerIssue:
    """Resolved: the resolution is shared with the partner (it counts as a response). SLA
    met when resolved by the due time, pauses excluded."""
    now = now or timezone.now()
    if not resolution.strip():
        raise ValidationError({"resolution": _("Describe how the issue was resolved.")})
    locked = _locked(issue, *UNRESOLVED)
    if locked.status == IssueStatus.WAITING:
        _move(locked, IssueStatus.IN_PROGRESS, now)  # the wait ends now
    locked.resolution = resolution.strip()
    locked.resolved_at = now
    locked.resolved_by = resolved_by
    locked.resolution_seconds = max(
        int((now - locked.created_at).total_seconds()) - locked.paused_seconds, 0
    )
    locked.sla_met = now <= locked.due_at
    if locked.first_response_at is None:
        locked.first_response_at = now
    _move(locked, IssueStatus.RESOLVED, now)
    _save(locked, resolved_by)
    _event(locked, TimelineKind.ISSUE_RESOLVED, resolved_by, now, sla_met=locked.sla_met)
    return locked


@transaction.atomic
def close_issue(
    issue: PartnerIssue,
    *,
    closed_by: User | None,
    reason: str = CloseReason.CONFIRMED,
    now: datetime | None = None,
) -> PartnerIssue:
    now = now or timezone.now()
    locked = _locked(issue, IssueStatus.RESOLVED)
    locked.status = IssueStatus.CLOSED
    locked.closed_at = now
    locked.close_reason = reason
    _save(locked, closed_by)
    _event(locked, TimelineKind.ISSUE_CLOSED, closed_by, now, reason=reason)
    return locked


@transaction.atomic
def reopen_issue(
    issue: PartnerIssue, *, reopened_by: User | None, reason: str, now: datetime | None = None
) -> PartnerIssue:
    """Not solved after all: the clock runs again from where it stopped."""
    now = now or timezone.now()
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the issue is reopened.")})
    locked = _locked(issue, IssueStatus.RESOLVED, IssueStatus.CLOSED)
    _move(locked, IssueStatus.REOPENED, now)
    locked.resolved_at = locked.resolved_by = locked.resolution_seconds = None
    locked.sla_met = None
    locked.closed_at = None
    locked.close_reason = ""
    locked.reopen_count += 1
    _save(locked, reopened_by)
    _comment(locked, author=reopened_by, body=reason, is_internal=False, now=now)
    _event(locked, TimelineKind.ISSUE_REOPENED, reopened_by, now, reason=reason.strip())
    return locked


def close_resolved_issues(*, now: datetime | None = None) -> int:
    """Daily (beat): issues resolved 7 days ago and not reopened close by themselves."""
    now = now or timezone.now()
    due = PartnerIssue.objects.filter(
        status=IssueStatus.RESOLVED, resolved_at__lte=now - AUTO_CLOSE_AFTER
    ).values_list("pk", flat=True)
    closed = 0
    for pk in list(due[:5000]):
        try:
            close_issue(PartnerIssue(pk=pk), closed_by=None, reason=CloseReason.AUTOMATIC, now=now)
        except ValidationError:  # reopened meanwhile
            continue
        closed += 1
    return closed


def _comment(
    issue: PartnerIssue, *, author: User | None, body: str, is_internal: bool, now: datetime
) -> IssueComment:
    comment = IssueComment.objects.create(
        issue=issue, author=author, body=body.strip(), is_internal=is_internal, created_at=now
    )
    if not is_internal and author is not None and issue.first_response_at is None:
        PartnerIssue.objects.filter(pk=issue.pk, first_response_at__isnull=True).update(
            first_response_at=now
        )
        issue.first_response_at = now
    return comment


@transaction.atomic
def add_comment(
    issue: PartnerIssue,
    *,
    author: User | None,
    body: str,
    is_internal: bool = True,
    now: datetime | None = None,
) -> IssueComment:
    """A note: internal, or shared with the partner — the first shared one is the first
    response."""
    if not body.strip():
        raise ValidationError({"body": _("Write something.")})
    locked = _locked(issue)
    return _comment(locked, author=author, body=body, is_internal=is_internal,
                    now=now or timezone.now())  # fmt: skip


@transaction.atomic
def add_attachments(
    issue: PartnerIssue, *, uploaded_by: User | None, uploads: Sequence[UploadedFile]
) -> list[IssueAttachment]:
    locked = _locked(issue)
    return store_attachments(
        IssueAttachment, uploads, already=locked.attachments.count(), issue=locked,
        uploaded_by=uploaded_by,
    )  # fmt: skip


# --- Knowledge base -----------------------------------------------------------------------


def _check_categories(categories: Any) -> None:
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories) or (
        set(categories) - set(IssueCategory.values)
    ):  # fmt: skip
        raise ValidationError({"categories": _("Unknown issue category.")})


@transaction.atomic
def save_article(
    article: Article, *, saved_by: User | None, issues: Sequence[PartnerIssue] | None = None
) -> Article:
    _check_categories(article.categories)
    if not article.pk:
        article.created_by = saved_by
    article.updated_by = saved_by
    article.search_text = article.build_search_text()
    article._history_user = saved_by  # type: ignore[attr-defined]
    article.full_clean()
    article.save()
    if issues is not None:
        article.issues.add(*issues)
    return article


def draft_from_issue(issue: PartnerIssue) -> Article:
    """A resolved issue's case, unsaved: its title, its description as the problem, its
    resolution as the solution, its category — for the writer to edit (leaving out what
    only the partner's own team should read) before it goes into the shared knowledge base."""
    if issue.status not in (IssueStatus.RESOLVED, IssueStatus.CLOSED):
        raise ValidationError(_("Only a resolved issue can be written up."))
    return Article(
        title=issue.title, problem=issue.description, solution=issue.resolution,
        categories=[issue.category],
    )  # fmt: skip


@transaction.atomic
def write_up_issue(
    issue: PartnerIssue, *, written_by: User | None, article: Article | None = None
) -> Article:
    """Save the article of a resolved issue (the draft, or the writer's edit of it), linked
    to the issue and on the partner's timeline."""
    draft = draft_from_issue(issue)
    article = article or draft
    save_article(article, saved_by=written_by, issues=[issue])
    record_event(
        issue.partner, TimelineKind.ARTICLE_WRITTEN, actor=written_by,
        details={"article": article.pk, "title": article.title, "issue": issue.pk},
    )  # fmt: skip
    return article
