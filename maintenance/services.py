"""Writes of proactive maintenance: tier policies, logged interactions, and the maintenance
tasks planned from them (the next contact and the next on-site visit of every partner)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import (
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    QuerySet,
    Subquery,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from dashboards.services import queue_partners, queue_partners_of
from partners.choices import PartnerStatus, Tier, TimelineKind
from partners.models import Contact, Partner
from partners.services import record_event

from .choices import PLANNED_TASK_KINDS, InteractionKind, ReviewFrequency, TaskKind, TaskStatus
from .models import Interaction, InteractionAttachment, MaintenanceTask, TierPolicy

if TYPE_CHECKING:
    from accounts.models import User

# product.md §3
DEFAULT_POLICIES: dict[str, dict[str, Any]] = {
    Tier.CORE: {
        "contact_every_days": 14,
        "visit_every_days": 30,
        "review_every": ReviewFrequency.QUARTER,
        "rebate_multiplier": Decimal("1.20"),
        "issue_sla_days": 7,
    },
    Tier.REGULAR: {
        "contact_every_days": 30,
        "visit_every_days": 90,
        "review_every": ReviewFrequency.QUARTER,
        "rebate_multiplier": Decimal("1.00"),
        "issue_sla_days": 7,
    },
    Tier.POTENTIAL: {
        "contact_every_days": 14,
        "visit_every_days": None,
        "review_every": ReviewFrequency.HALF_YEAR,
        "rebate_multiplier": Decimal("0.80"),
        "issue_sla_days": 7,
    },
}
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENTS_PER_INTERACTION = 10
# Accepted files by their first bytes (the name's extension is not trusted).
ATTACHMENT_SIGNATURES: dict[bytes, str] = {
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"GIF8": "image/gif",
    b"%PDF-": "application/pdf",
    b"PK\x03\x04": "application/zip",  # .docx, .xlsx, .pptx
}
CADENCE_FIELDS = ("contact_every_days", "visit_every_days")


def policies() -> dict[str, TierPolicy]:
    """The policy of every tier (created with product.md's defaults if one is missing)."""
    found = {policy.tier: policy for policy in TierPolicy.objects.all()}
    for tier in Tier.values:
        if tier not in found:
            found[tier], _created = TierPolicy.objects.get_or_create(
                tier=tier, defaults=DEFAULT_POLICIES[tier]
            )
    return found


@transaction.atomic
def update_tier_policy(policy: TierPolicy, *, changed_by: User | None, **fields: Any) -> TierPolicy:
    """Change a tier's policy; a new cadence re-plans the tier's open maintenance tasks."""
    locked = TierPolicy.objects.select_for_update().get(pk=policy.pk)
    cadence_before = [getattr(locked, name) for name in CADENCE_FIELDS]
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.full_clean()
    locked._history_user = changed_by  # type: ignore[attr-defined]
    locked.save()
    if [getattr(locked, name) for name in CADENCE_FIELDS] != cadence_before:
        replan(Partner.objects.filter(tier=locked.tier), today=timezone.localdate())
    return locked


def replan(partners: QuerySet[Partner], *, today: date) -> int:
    """Bring the open planned tasks of these partners in line with the partners and their
    tiers' policies: a terminated partner's tasks are cancelled, planned tasks follow the
    owner, due dates move with the cadence, visit tasks go where a tier has no visits, and
    missing tasks are created. Called by every write that can change one of these (new
    partner, owner, status, tier, policy); set-based, a few queries whatever the number of
    partners."""
    open_tasks = MaintenanceTask.objects.open().filter(partner__in=partners)
    # (the partners whose tasks due change are queued for their dashboard figures first)
    orphaned = open_tasks.filter(partner__status=PartnerStatus.TERMINATED)
    queue_partners_of(orphaned)
    changed = orphaned.update(status=TaskStatus.CANCELLED, note=_("The partner was terminated."))
    owner = Partner.objects.filter(pk=OuterRef("partner_id")).values("owner_id")[:1]
    changed += (
        open_tasks.filter(kind__in=PLANNED_TASK_KINDS, partner__owner__isnull=False)
        .exclude(assignee_id=F("partner__owner_id"))
        .update(assignee_id=Subquery(owner))
    )
    for tier, policy in policies().items():
        in_tier = partners.filter(tier=tier)
        for kind in PLANNED_TASK_KINDS:
            days = policy.cadence_days(kind)
            tasks = MaintenanceTask.objects.open().filter(kind=kind, partner__in=in_tier)
            if days is None:
                queue_partners_of(tasks)
                changed += tasks.update(
                    status=TaskStatus.CANCELLED, note=_("The tier has no regular visits.")
                )
            else:
                due = ExpressionWrapper(
                    F("planned_from") + timedelta(days=days), output_field=DateField()
                )
                moved = tasks.exclude(due_on=due)
                queue_partners_of(moved)
                changed += moved.update(due_on=due)
    return changed + ensure_planned_tasks(partners, today=today)


def ensure_planned_tasks(partners: QuerySet[Partner] | None = None, *, today: date) -> int:
    """Give every partner that is not terminated its open contact task and (where its tier
    has visits) visit task, counted from its last qualifying interaction, else from the day
    it entered the archive. Returns how many tasks were created."""
    partners = Partner.objects.all() if partners is None else partners
    partners = partners.exclude(status=PartnerStatus.TERMINATED).filter(owner__isnull=False)
    created = 0
    for tier, policy in policies().items():
        for kind in PLANNED_TASK_KINDS:
            days = policy.cadence_days(kind)
            if days is None:
                continue
            open_task = MaintenanceTask.objects.open().filter(partner=OuterRef("pk"), kind=kind)
            last = Interaction.objects.filter(partner=OuterRef("pk"))
            if kind == TaskKind.VISIT:
                last = last.filter(kind=InteractionKind.VISIT)
            missing = (
                partners.filter(tier=tier)
                .filter(~Exists(open_task))
                .annotate(last_contact=Subquery(last.order_by("-occurred_at").values("occurred_at")[:1]))
                .values_list("pk", "owner_id", "created_at", "last_contact")
            )  # fmt: skip
            batch = []
            for partner_id, owner_id, created_at, last_contact in missing.iterator(2000):
                start = _local_date(last_contact or created_at)
                batch.append(
                    MaintenanceTask(
                        partner_id=partner_id,
                        kind=kind,
                        planned_from=start,
                        due_on=start + timedelta(days=days),
                        assignee_id=owner_id,
                    )
                )
                if len(batch) == 2000:
                    created += _insert_planned(batch)
                    batch = []
            created += _insert_planned(batch)
    return created


def _insert_planned(tasks: list[MaintenanceTask]) -> int:
    """Insert planned tasks; one another process planned meanwhile is skipped (the unique
    open-task constraint decides), so two sweeps at once never fail nor double a task."""
    if not tasks:
        return 0
    before = MaintenanceTask.objects.open().filter(partner_id__in=[t.partner_id for t in tasks])
    count = before.count()
    MaintenanceTask.objects.bulk_create(tasks, ignore_conflicts=True)
    queue_partners(task.partner_id for task in tasks)
    return before.count() - count


def reconcile_all(*, today: date) -> int:
    """`replan` for every partner: the nightly safety net behind the writes that keep tasks
    current (it finds nothing to do when they all did their part)."""
    return replan(Partner.objects.all(), today=today)


def _local_date(moment: datetime | date) -> date:
    if isinstance(moment, datetime):
        return timezone.localdate(moment)
    return moment


def check_attachment(upload: UploadedFile) -> str:
    """The upload's content type, judged by its first bytes; a clear error otherwise."""
    if upload.size and upload.size > ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            _("%(name)s is larger than 10 MB.") % {"name": upload.name}, code="too_large"
        )
    head = upload.read(16)
    upload.seek(0)
    for signature, content_type in ATTACHMENT_SIGNATURES.items():
        if head.startswith(signature):
            return content_type
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):  # iPhone photos
        return "image/heic"
    raise ValidationError(
        _("%(name)s is not a photo (JPEG, PNG, GIF, HEIC), PDF or Office file.")
        % {"name": upload.name},
        code="file_type",
    )


def store_attachments(
    model: Any, uploads: Sequence[UploadedFile], *, already: int = 0, **owner: Any
) -> list[Any]:
    """Check every upload (at most ATTACHMENTS_PER_INTERACTION with the `already` stored),
    then keep them as `model` rows of `owner` (the record they belong to, who uploaded)."""
    if already + len(uploads) > ATTACHMENTS_PER_INTERACTION:
        raise ValidationError({"attachments": _("At most 10 files.")})
    types = [check_attachment(upload) for upload in uploads]
    return [
        model.objects.create(
            file=upload,
            name=(upload.name or "file")[:255],
            content_type=content_type,
            size=upload.size or 0,
            **owner,
        )  # fmt: skip
        for upload, content_type in zip(uploads, types, strict=True)
    ]


@transaction.atomic
def log_interaction(
    partner: Partner,
    *,
    logged_by: User | None,
    kind: str,
    summary: str,
    occurred_at: datetime | None = None,
    channel: str = "",
    next_steps: str = "",
    follow_up_on: date | None = None,
    staff: Iterable[User] = (),
    contacts: Iterable[Contact] = (),
    attachments: Sequence[UploadedFile] = (),
) -> Interaction:
    """Record a contact with a partner, put it on the timeline, complete the maintenance
    tasks it satisfies (any contact the contact task, an on-site visit also the visit task)
    and plan the next ones from the tier's cadence."""
    occurred_at = occurred_at or timezone.now()
    if occurred_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"occurred_at": _("An interaction cannot be in the future.")})
    contacts = list(contacts)
    if any(contact.partner_id != partner.pk for contact in contacts):
        raise ValidationError({"contacts": _("Choose contacts of this partner.")})
    interaction = Interaction(
        partner=partner,
        kind=kind,
        channel=channel,
        occurred_at=occurred_at,
        summary=summary,
        next_steps=next_steps,
        follow_up_on=follow_up_on,
        logged_by=logged_by,
    )
    interaction.full_clean()
    interaction.save()
    interaction.staff.set(list(staff) or ([logged_by] if logged_by else []))
    interaction.contacts.set(contacts)
    store_attachments(InteractionAttachment, attachments, interaction=interaction)
    record_event(
        partner,
        TimelineKind.INTERACTION_LOGGED,
        actor=logged_by,
        occurred_at=occurred_at,
        details={
            "interaction": interaction.pk,
            "kind": kind,
            "summary": summary[:300],
            "follow_up_on": follow_up_on,
        },
    )
    _complete_planned_tasks(partner, interaction)
    queue_partners([partner.pk])
    return interaction


def _complete_planned_tasks(partner: Partner, interaction: Interaction) -> None:
    day = _local_date(interaction.occurred_at)
    kinds = [TaskKind.CONTACT, TaskKind.VISIT] if interaction.is_visit else [TaskKind.CONTACT]
    policy = policies()[partner.tier]
    for kind in kinds:
        task = (
            MaintenanceTask.objects.select_for_update()
            .open()
            .filter(partner=partner, kind=kind)
            .first()
        )
        if task is not None and task.planned_from and day < task.planned_from:
            continue  # logged late, and older than the contact the task already counts from
        if task is not None:
            task.status, task.completed_on = TaskStatus.DONE, day
            task.completed_at, task.interaction = timezone.now(), interaction
            task._history_user = interaction.logged_by
            task.save()
        days = policy.cadence_days(kind)
        if days is not None and partner.status != PartnerStatus.TERMINATED and partner.owner_id:
            MaintenanceTask.objects.create(
                partner=partner,
                kind=kind,
                planned_from=day,
                due_on=day + timedelta(days=days),
                assignee_id=partner.owner_id,
            )


def _check_assignee(partner: Partner, assignee: User) -> None:
    if not Partner.objects.visible_to(assignee).filter(pk=partner.pk).exists():
        raise ValidationError({"assignee": _("The assignee must be someone who sees the partner.")})


@transaction.atomic
def create_adhoc_task(
    partner: Partner,
    *,
    created_by: User | None,
    title: str,
    due_on: date,
    assignee: User,
    note: str = "",
) -> MaintenanceTask:
    if not title.strip():
        raise ValidationError({"title": _("Give the task a title.")})
    _check_assignee(partner, assignee)
    task = MaintenanceTask(
        partner=partner,
        kind=TaskKind.ADHOC,
        title=title.strip(),
        due_on=due_on,
        assignee=assignee,
        created_by=created_by,
        note=note,
    )
    task._history_user = created_by  # type: ignore[attr-defined]
    task.save()
    queue_partners([task.partner_id])
    return task


def _locked_open(task: MaintenanceTask) -> MaintenanceTask:
    locked = MaintenanceTask.objects.select_for_update().get(pk=task.pk)
    if locked.status != TaskStatus.OPEN:
        raise ValidationError(_("The task is no longer open."))
    return locked


@transaction.atomic
def reassign_task(
    task: MaintenanceTask, *, assignee: User, reassigned_by: User | None
) -> MaintenanceTask:
    locked = _locked_open(task)
    _check_assignee(locked.partner, assignee)
    locked.assignee = assignee
    locked._history_user = reassigned_by  # type: ignore[attr-defined]
    locked.save()
    return locked


@transaction.atomic
def complete_task(
    task: MaintenanceTask, *, completed_by: User | None, note: str = ""
) -> MaintenanceTask:
    """Mark an ad-hoc task done. Planned contact and visit tasks are done by logging the
    interaction itself."""
    locked = _locked_open(task)
    if locked.kind != TaskKind.ADHOC:
        raise ValidationError(_("Log the contact or visit: that completes this task."))
    locked.status, locked.completed_on = TaskStatus.DONE, timezone.localdate()
    locked.completed_at = timezone.now()
    locked.note = note or locked.note
    locked._history_user = completed_by  # type: ignore[attr-defined]
    locked.save()
    queue_partners([locked.partner_id])
    return locked


@transaction.atomic
def cancel_task(task: MaintenanceTask, *, cancelled_by: User | None, note: str) -> MaintenanceTask:
    locked = _locked_open(task)
    if locked.kind != TaskKind.ADHOC:
        raise ValidationError(_("Planned contacts and visits follow the tier policy."))
    if not note.strip():
        raise ValidationError({"note": _("Say why the task is cancelled.")})
    locked.status, locked.note = TaskStatus.CANCELLED, note
    locked._history_user = cancelled_by  # type: ignore[attr-defined]
    locked.save()
    queue_partners([locked.partner_id])
    return locked
