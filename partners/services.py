"""Every write to the partner archive. Each one records history with the acting user and a
timeline event, inside one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from accounts.roles import Role
from channelhub.lib.bulk import insert_history, insert_m2m_history, insert_rows
from channelhub.services import reserve_numbers
from dashboards.services import queue_partners

from .choices import PartnerStatus, TerminationReason, Tier, TimelineKind
from .models import Contact, ImportBatch, Partner, PartnerEvent, Tag, TierChange

if TYPE_CHECKING:
    from accounts.models import User

PARTNER_CODE_SERIES = "partner_code"
# Stored as is; pages show the first tier-history entry as "Initial tier" in the reader's
# language.
INITIAL_TIER_REASON = "Initial tier"
# Changed through their own services (they have rules and history of their own).
FIELDS_WITH_OWN_SERVICE = frozenset(
    {"status", "terminated_on", "termination_reason", "termination_note", "tier", "version"}
)
CONTACT_FIELDS = ("name", "title", "phone", "email", "birthday", "is_primary", "language", "notes")


class ConcurrentEditError(Exception):
    """Someone saved the record after this edit started; the edit was not applied."""

    def __init__(self) -> None:
        super().__init__(
            _("Someone else changed this partner while you were editing. Reload and try again.")
        )


class InvalidTransitionError(ValidationError):
    pass


@dataclass
class ContactData:
    name: str
    title: str = ""
    phone: str = ""
    email: str = ""
    birthday: date | None = None
    is_primary: bool = False
    language: str = "zh-hans"
    notes: str = ""


@dataclass
class FieldChange:
    field: str
    old: Any
    new: Any

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new}


@dataclass
class _Diff:
    changes: list[FieldChange] = field(default_factory=list)

    def add(self, name: str, old: Any, new: Any) -> None:
        if old != new:
            self.changes.append(FieldChange(name, old, new))


def next_partner_codes(count: int) -> list[str]:
    """`count` unused codes of the P000123 series; numbers whose code someone typed in by
    hand are skipped (the counter moves past them for good)."""
    codes: list[str] = []
    while len(codes) < count:
        wanted = count - len(codes)
        candidates = [f"P{n:06d}" for n in reserve_numbers(PARTNER_CODE_SERIES, wanted)]
        taken = set(Partner.objects.filter(code__in=candidates).values_list("code", flat=True))
        codes += [code for code in candidates if code not in taken]
    return codes


def default_owner(user: User | None) -> User | None:
    """Who owns a partner created without an owner: its creator if a channel manager."""
    return user if user is not None and user.has_role(Role.CHANNEL_MANAGER) else None


def _display(value: Any) -> Any:
    """A JSON-safe value for the timeline: users and tags by name, dates as ISO strings."""
    if isinstance(value, Model):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def record_event(
    partner: Partner,
    kind: str,
    *,
    actor: User | None,
    details: dict[str, Any] | None = None,
    occurred_at: Any = None,
) -> PartnerEvent:
    """Add an entry to the partner's timeline. Other apps call this for their own kinds."""
    return PartnerEvent.objects.create(
        partner=partner,
        kind=kind,
        actor=actor,
        details=details or {},
        occurred_at=occurred_at or timezone.now(),
    )


def _save_with_history(instance: Model, actor: User | None) -> None:
    instance._history_user = actor  # type: ignore[attr-defined]
    instance.full_clean()
    instance.save()


@transaction.atomic
def create_partner(
    *,
    created_by: User | None,
    contacts: Sequence[ContactData] = (),
    specialists: Iterable[User] = (),
    tags: Iterable[Tag] = (),
    event_kind: str = TimelineKind.CREATED,
    **fields: Any,
) -> Partner:
    """Create a partner with its contacts; the first contact is primary unless one says so."""
    if not fields.get("code"):
        fields["code"] = next_partner_codes(1)[0]
    tier = fields.get("tier", Tier.POTENTIAL)
    partner = Partner(**fields)
    _save_with_history(partner, created_by)
    partner.specialists.set(list(specialists))
    partner.tags.set(list(tags))
    TierChange.objects.create(
        partner=partner,
        from_tier="",
        to_tier=tier,
        effective_on=timezone.localdate(),
        reason=INITIAL_TIER_REASON,
        changed_by=created_by,
    )
    has_primary = any(contact.is_primary for contact in contacts)
    for index, contact_data in enumerate(contacts):
        contact = Contact(partner=partner, **contact_data.__dict__)
        contact.is_primary = contact_data.is_primary or (not has_primary and index == 0)
        _save_with_history(contact, created_by)
    record_event(partner, event_kind, actor=created_by, details={"code": partner.code})
    _follow_partner_change([partner])
    return partner


def _lock(partner: Partner, expected_version: int | None) -> Partner:
    locked = Partner.objects.select_for_update().get(pk=partner.pk)
    if expected_version is not None and locked.version != expected_version:
        raise ConcurrentEditError()
    return locked


def _bump_and_save(partner: Partner, actor: User | None) -> None:
    partner.version += 1
    _save_with_history(partner, actor)


@transaction.atomic
def update_partner(
    partner: Partner,
    *,
    changed_by: User | None,
    expected_version: int | None = None,
    specialists: Iterable[User] | None = None,
    tags: Iterable[Tag] | None = None,
    **changes: Any,
) -> Partner:
    """Apply field changes to a partner; optimistic locking on `expected_version`.

    Records one timeline entry listing every changed field (old → new), plus an
    owner-changed entry when the owner moves. Tier and status have services of their own.
    """
    forbidden = FIELDS_WITH_OWN_SERVICE & changes.keys()
    if forbidden:
        raise ValueError(f"update_partner cannot change {sorted(forbidden)}")
    locked = _lock(partner, expected_version)
    diff = _Diff()
    for name, value in changes.items():
        diff.add(name, _display(getattr(locked, name)), _display(value))
        setattr(locked, name, value)
    if specialists is not None:
        new_specialists = list(specialists)
        old_names = sorted(str(user) for user in locked.specialists.all())
        diff.add("specialists", old_names, sorted(str(user) for user in new_specialists))
    if tags is not None:
        new_tags = list(tags)
        diff.add(
            "tags", sorted(t.name for t in locked.tags.all()), sorted(t.name for t in new_tags)
        )
    if not diff.changes:
        return locked
    _bump_and_save(locked, changed_by)
    if specialists is not None:
        locked.specialists.set(new_specialists)
    if tags is not None:
        locked.tags.set(new_tags)
    record_event(
        locked,
        TimelineKind.UPDATED,
        actor=changed_by,
        details={"changes": [change.as_dict() for change in diff.changes]},
    )
    owner_change = next((c for c in diff.changes if c.field == "owner"), None)
    if owner_change:
        record_event(
            locked,
            TimelineKind.OWNER_CHANGED,
            actor=changed_by,
            details={"old": owner_change.old, "new": owner_change.new},
        )
        _follow_partner_change([locked])
    queue_partners([locked.pk])  # province, type, start date: its dashboard figures
    return locked


ALLOWED_STATUS_CHANGES = {
    PartnerStatus.ACTIVE: {PartnerStatus.SUSPENDED, PartnerStatus.TERMINATED},
    PartnerStatus.SUSPENDED: {PartnerStatus.ACTIVE, PartnerStatus.TERMINATED},
    PartnerStatus.TERMINATED: {PartnerStatus.ACTIVE},
}


def _change_status(
    partner: Partner,
    to_status: PartnerStatus,
    *,
    actor: User | None,
    expected_version: int | None,
    note: str = "",
    **termination: Any,
) -> Partner:
    locked = _lock(partner, expected_version)
    from_status = PartnerStatus(locked.status)
    if to_status not in ALLOWED_STATUS_CHANGES[from_status]:
        raise InvalidTransitionError(
            _("A %(from)s partner cannot become %(to)s.")
            % {"from": from_status.label, "to": to_status.label}
        )
    ended_termination = locked.terminated_on
    locked.status = to_status
    locked.terminated_on = termination.get("terminated_on")
    locked.termination_reason = termination.get("termination_reason", "")
    locked.termination_note = note if to_status == PartnerStatus.TERMINATED else ""
    _bump_and_save(locked, actor)
    record_event(
        locked,
        TimelineKind.STATUS_CHANGED,
        actor=actor,
        details={
            "old": from_status.value,
            "new": to_status.value,
            "reason": locked.termination_reason,
            "terminated_on": _display(locked.terminated_on),
            "ended_termination": _display(ended_termination),  # the dashboards' churn history
            "note": note,
        },
    )
    _follow_partner_change([locked])
    return locked


@transaction.atomic
def terminate_partner(
    partner: Partner,
    *,
    terminated_by: User | None,
    terminated_on: date,
    reason: TerminationReason | str,
    note: str = "",
    expected_version: int | None = None,
) -> Partner:
    """End the cooperation: status terminated, with the date and the reason."""
    if reason not in TerminationReason.values:
        raise ValidationError({"termination_reason": _("Choose a termination reason.")})
    return _change_status(
        partner,
        PartnerStatus.TERMINATED,
        actor=terminated_by,
        expected_version=expected_version,
        note=note,
        terminated_on=terminated_on,
        termination_reason=reason,
    )


@transaction.atomic
def suspend_partner(
    partner: Partner,
    *,
    suspended_by: User | None,
    note: str = "",
    expected_version: int | None = None,
) -> Partner:
    """Pause an active partner (kept in the archive, not counted as active)."""
    return _change_status(
        partner,
        PartnerStatus.SUSPENDED,
        actor=suspended_by,
        expected_version=expected_version,
        note=note,
    )


@transaction.atomic
def reactivate_partner(
    partner: Partner,
    *,
    reactivated_by: User | None,
    note: str = "",
    expected_version: int | None = None,
) -> Partner:
    """Bring a suspended or terminated partner back to active; clears the termination."""
    return _change_status(
        partner,
        PartnerStatus.ACTIVE,
        actor=reactivated_by,
        expected_version=expected_version,
        note=note,
    )


@transaction.atomic
def change_tier(
    partner: Partner,
    *,
    to_tier: Tier | str,
    changed_by: User | None,
    reason: str,
    effective_on: date | None = None,
    expected_version: int | None = None,
) -> Partner:
    """Move a partner to another tier and write the tier history. The tier engine's approved
    proposals come through here."""
    if to_tier not in Tier.values:
        raise ValidationError({"tier": _("Unknown tier.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason for the tier change.")})
    locked = _lock(partner, expected_version)
    from_tier = locked.tier
    if from_tier == to_tier:
        return locked
    effective_on = effective_on or timezone.localdate()
    locked.tier = to_tier
    _bump_and_save(locked, changed_by)
    TierChange.objects.create(
        partner=locked,
        from_tier=from_tier,
        to_tier=to_tier,
        effective_on=effective_on,
        reason=reason,
        changed_by=changed_by,
    )
    from tiers.services import supersede_open_proposals  # tiers builds on partners

    supersede_open_proposals(locked.pk)
    record_event(
        locked,
        TimelineKind.TIER_CHANGED,
        actor=changed_by,
        details={
            "old": from_tier,
            "new": to_tier,
            "reason": reason,
            "effective_on": effective_on.isoformat(),
        },
    )
    _follow_partner_change([locked])
    return locked


def _follow_partner_change(partners: Sequence[Partner]) -> None:
    """Maintenance tasks and open business reviews follow a partner's tier, owner and status
    (those apps build on partners: imported here, not at the top)."""
    from maintenance.services import replan
    from reviews.services import sync_reviews

    changed = Partner.objects.filter(pk__in=[p.pk for p in partners])
    replan(changed, today=timezone.localdate())
    sync_reviews(changed)
    queue_partners(p.pk for p in partners)  # their dashboard figures


def _make_only_primary(contact: Contact, actor: User | None) -> None:
    others = Contact.objects.filter(partner_id=contact.partner_id, is_primary=True).exclude(
        pk=contact.pk
    )
    for other in others:  # at most one; saved one by one so the history records it
        other.is_primary = False
        _save_with_history(other, actor)


@transaction.atomic
def save_contact(contact: Contact, *, saved_by: User | None) -> Contact:
    """Add or change a contact. Marking it primary unmarks the partner's other primary; a
    partner's first contact is always primary."""
    Partner.objects.select_for_update().filter(pk=contact.partner_id).first()
    is_new = contact.pk is None
    before = None if is_new else Contact.objects.get(pk=contact.pk)
    if not contact.is_primary and not (
        Contact.objects.filter(partner_id=contact.partner_id, is_primary=True)
        .exclude(pk=contact.pk)
        .exists()
    ):
        contact.is_primary = True
    if contact.is_primary:
        _make_only_primary(contact, saved_by)
    _save_with_history(contact, saved_by)
    if is_new:
        record_event(
            contact.partner,
            TimelineKind.CONTACT_ADDED,
            actor=saved_by,
            details={"name": contact.name},
        )
    else:
        diff = _Diff()
        for name in CONTACT_FIELDS:
            diff.add(name, _display(getattr(before, name)), _display(getattr(contact, name)))
        if diff.changes:
            record_event(
                contact.partner,
                TimelineKind.CONTACT_CHANGED,
                actor=saved_by,
                details={"name": contact.name, "changes": [c.as_dict() for c in diff.changes]},
            )
    return contact


@transaction.atomic
def remove_contact(contact: Contact, *, removed_by: User | None) -> None:
    """Delete a contact; if it was the primary one, the longest-known other contact takes over."""
    partner = Partner.objects.select_for_update().get(pk=contact.partner_id)
    was_primary = contact.is_primary
    name = contact.name
    contact._history_user = removed_by  # type: ignore[attr-defined]
    contact.delete()
    if was_primary:
        successor = partner.contacts.order_by("created_at", "pk").first()
        if successor:
            successor.is_primary = True
            _save_with_history(successor, removed_by)
    record_event(partner, TimelineKind.CONTACT_REMOVED, actor=removed_by, details={"name": name})


@dataclass
class NewPartner:
    """A partner to create in bulk: model field values, contacts, tag names, specialists."""

    fields: dict[str, Any]
    contacts: list[ContactData] = field(default_factory=list)
    tag_names: list[str] = field(default_factory=list)
    specialist_ids: list[int] = field(default_factory=list)


def _tags_by_name(names: set[str]) -> dict[str, Tag]:
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    missing = [Tag(name=name) for name in sorted(names - existing.keys())]
    for tag in bulk_create_with_history(missing, Tag):
        existing[tag.name] = tag
    return existing


@transaction.atomic
def create_partners_in_bulk(
    new_partners: Sequence[NewPartner],
    *,
    created_by: User | None,
    event_kind: str = TimelineKind.IMPORTED,
    plan_maintenance: bool = True,
) -> Sequence[Partner]:
    """Create many partners with contacts, tags, specialists, their initial tier history,
    their history records (actor included) and a timeline entry each, with a fixed number
    of statements (COPY on PostgreSQL), and plan their maintenance tasks (unless the caller
    does it later). Callers validate first; a database error rolls everything back."""
    if not new_partners:
        return []
    codes = iter(next_partner_codes(sum(1 for p in new_partners if not p.fields.get("code"))))
    partners = []
    for new in new_partners:
        partner = Partner(**new.fields)
        partner.code = partner.code or next(codes)
        partners.append(partner)
    insert_rows(Partner, partners)
    history_ids = insert_history(Partner, partners, user=created_by)
    today = timezone.localdate()
    tags = _tags_by_name({name for new in new_partners for name in new.tag_names})
    contacts, tag_links, specialist_links, tier_changes, events = [], [], [], [], []
    for partner, new in zip(partners, new_partners, strict=True):
        has_primary = any(contact.is_primary for contact in new.contacts)
        for index, data in enumerate(new.contacts):
            contact = Contact(partner=partner, **data.__dict__)
            contact.is_primary = data.is_primary or (not has_primary and index == 0)
            contacts.append(contact)
        tag_links += [
            Partner.tags.through(partner_id=partner.pk, tag_id=tags[name].pk)
            for name in new.tag_names
        ]
        specialist_links += [
            Partner.specialists.through(partner_id=partner.pk, user_id=user_id)
            for user_id in new.specialist_ids
        ]
        tier_changes.append(
            TierChange(
                partner=partner,
                to_tier=partner.tier,
                effective_on=today,
                reason=INITIAL_TIER_REASON,
                changed_by=created_by,
            )
        )
        events.append(
            PartnerEvent(
                partner=partner, kind=event_kind, actor=created_by, details={"code": partner.code}
            )
        )
    insert_rows(Contact, contacts)
    insert_history(Contact, contacts, user=created_by)
    insert_rows(Partner.tags.through, tag_links)
    insert_rows(Partner.specialists.through, specialist_links)
    insert_m2m_history(Partner, "tags", tag_links, history_ids)
    insert_m2m_history(Partner, "specialists", specialist_links, history_ids)
    insert_rows(TierChange, tier_changes)
    insert_rows(PartnerEvent, events)
    queue_partners(partner.pk for partner in partners)
    if plan_maintenance:
        _follow_partner_change(partners)
    return partners


class ImportRejected(Exception):
    """The file has errors; nothing was written. `errors` lists them row by row."""

    def __init__(self, errors: list[Any]):
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


def preview_partner_import(content: bytes, file_name: str, *, uploaded_by: User) -> ImportBatch:
    """Read and validate an uploaded file and keep it for confirmation; writes no partner."""
    from channelhub.lib.tabular import UnreadableFile, read_rows

    from .importing import PartnerImportValidator, RowError

    try:
        plan = PartnerImportValidator(uploaded_by).validate(read_rows(content, file_name))
        errors = [error.as_dict() for error in plan.errors]
    except UnreadableFile as error:
        plan, errors = None, [RowError(0, "", str(error)).as_dict()]
    return ImportBatch.objects.create(
        uploaded_by=uploaded_by,
        file_name=file_name[:255],
        content=content if plan is not None and not errors else b"",
        status=ImportBatch.Status.PREVIEWED if not errors else ImportBatch.Status.INVALID,
        row_count=plan.row_count if plan else 0,
        partner_count=len(plan.partners) if plan else 0,
        contact_count=plan.contact_count if plan else 0,
        errors=errors,
    )


@transaction.atomic
def import_partners(batch: ImportBatch, *, imported_by: User) -> Sequence[Partner]:
    """Write a previewed import all-or-nothing. The file is validated again inside the
    transaction (the archive may have changed since the preview); any error writes nothing."""
    from channelhub.lib.tabular import read_rows

    from .importing import PartnerImportValidator

    locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.status != ImportBatch.Status.PREVIEWED or locked.uploaded_by_id != imported_by.pk:
        raise ImportRejected([{"row": 0, "column": "", "message": _("This import is closed.")}])
    plan = PartnerImportValidator(imported_by).validate(read_rows(bytes(locked.content)))
    if not plan.is_valid:
        raise ImportRejected([error.as_dict() for error in plan.errors])
    try:
        with transaction.atomic():
            partners = create_partners_in_bulk(
                plan.partners, created_by=imported_by, event_kind=TimelineKind.IMPORTED
            )
    except IntegrityError as error:  # someone created one of these partners meanwhile
        message = _("Another change conflicted with this import; nothing was written.")
        raise ImportRejected([{"row": 0, "column": "", "message": message}]) from error
    locked.status = ImportBatch.Status.IMPORTED
    locked.imported_at = timezone.now()
    locked.content = b""
    locked.save(update_fields=["status", "imported_at", "content"])
    return partners
