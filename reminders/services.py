"""The daily reminders: the sweep records each recipient's digest (and each team's group-bot
message) before anything is sent; senders claim rows with a conditional UPDATE, retry with
backoff and leave failures visible. Beat is only the clock: everything due is derived from
the database, so a sweep that did not run (Redis down, a crash) is caught up by the next."""

from __future__ import annotations

import json
import logging
import urllib.request
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Count, F, Max, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.roles import Role
from channelhub.lib.periods import local_midnight
from channelhub.services import record_heartbeat
from maintenance.models import MaintenanceTask

from .choices import DeliveryStatus, ReminderKind, WebhookKind
from .items import CATCH_UP_DAYS, SHOWN_PER_KIND, collect
from .models import (
    DEFAULT_SEND_HOUR,
    Digest,
    ReminderPreference,
    ReminderReceipt,
    Team,
    TeamMessage,
)

logger = logging.getLogger(__name__)
User = get_user_model()

SWEEP_HEARTBEAT = "reminder-sweep"
MAX_ATTEMPTS = 5
STUCK_AFTER = timedelta(minutes=10)
TEAM_MESSAGE_HOUR = 9
RECIPIENT_ROLES = (Role.CHANNEL_MANAGER, Role.CHANNEL_SPECIALIST, Role.SALES_VP, Role.SUPPORT)
WEBHOOK_HOSTS: dict[str, str] = {
    WebhookKind.WECOM: "qyapi.weixin.qq.com",
    WebhookKind.DINGTALK: "oapi.dingtalk.com",
}


def sweep(*, now: datetime | None = None, as_of: date | None = None) -> dict[str, int]:
    """The daily reminders up to `now`: record the digests of everyone whose hour has come,
    and the team messages. `as_of` (the command's option) builds the digests of that whole
    day. Safe to run twice or concurrently. (The maintenance tasks it reads are kept
    current by the writes that change them, and reconciled nightly.)"""
    now = now or timezone.now()
    today = as_of or timezone.localdate(now)
    hour = 23 if as_of else timezone.localtime(now).hour
    digests = build_digests(today, hour=hour, now=min(now, local_midnight(today + timedelta(1))))
    messages = build_team_messages(today, now=now) if hour >= TEAM_MESSAGE_HOUR else 0
    record_heartbeat(SWEEP_HEARTBEAT, at=now)
    return {"digests": digests, "team_messages": messages}


def build_digests(today: date, *, hour: int, now: datetime) -> int:
    """Record today's digest of every recipient whose sending hour has come and who has none
    yet. A constant number of queries, whatever the number of partners or recipients."""
    preferences = {p.user_id: p for p in ReminderPreference.objects.all()}
    done_today = Digest.objects.filter(for_date=today).values("recipient_id")
    recipients = [
        user
        for user in User.objects.filter(is_active=True, groups__name__in=RECIPIENT_ROLES)
        .exclude(pk__in=done_today)
        .distinct()
        .only("pk")
        if _send_hour(preferences.get(user.pk)) <= hour
    ]
    if not recipients:
        return 0
    last = dict(
        Digest.objects.filter(recipient__in=recipients, for_date__lt=today)
        .values("recipient_id")
        .annotate(last=Max("for_date"))
        .values_list("recipient_id", "last")
    )
    floor = today - timedelta(days=CATCH_UP_DAYS)
    since = {
        user.pk: max(last.get(user.pk, today - timedelta(days=1)), floor) for user in recipients
    }
    items = collect(today, min(since.values()), now)
    once_keys = {item["key"] for own in items.values() for item in own if item.get("once")}
    announced = set(
        ReminderReceipt.objects.filter(recipient__in=recipients, key__in=once_keys).values_list(
            "recipient_id", "key"
        )
        if once_keys
        else []
    )
    digests = []
    once_keys_of: dict[int, list[str]] = {}
    for user in recipients:
        preference = preferences.get(user.pk)
        own = [
            item
            for item in items.get(user.pk, [])
            if _is_new(item, since[user.pk], (user.pk, item["key"]) in announced)
            and (preference is None or preference.wants(item["kind"]))
        ]
        if not own:
            continue
        once_keys_of[user.pk] = [item["key"] for item in own if item.get("once")]
        totals: dict[str, int] = {}
        shown: list[dict[str, Any]] = []
        for item in sorted(own, key=lambda item: (str(item["kind"]), str(item["date"]))):
            count = totals.get(item["kind"], 0) + 1
            totals[item["kind"]] = count
            if count <= SHOWN_PER_KIND:
                shown.append(item)
        for item in own:  # a task item knows how many of its kind its assignee has in all
            if "total" in item:
                totals[item["kind"]] = item["total"]
        email_on = preference is None or preference.email_enabled
        digests.append(
            Digest(
                recipient=user,
                for_date=today,
                covers_from=since[user.pk] + timedelta(days=1),
                items=shown,
                totals=totals,
                status=DeliveryStatus.PENDING if email_on else DeliveryStatus.SKIPPED,
                next_attempt_at=now,
            )
        )
    created = Digest.objects.bulk_create(digests, ignore_conflicts=True)
    _record_receipts(today, once_keys_of)
    return len(created)


def _is_new(item: dict[str, Any], since: date, announced: bool) -> bool:
    """An item for today's digest: a `once` item not announced to this recipient yet; an
    event item that became due after their last digest; an item that holds every day."""
    if item.get("once"):
        return not announced
    return item["trigger"] is None or item["trigger"] > since


def _record_receipts(today: date, once_keys: dict[int, list[str]]) -> None:
    """Every `once` item of today's digests is announced — listed or counted in it — and
    never goes to the same recipient again. Written for the recipients whose digest for
    today is stored (by this sweep or a racing one, which saw the same items)."""
    stored = set(
        Digest.objects.filter(for_date=today, recipient__in=list(once_keys)).values_list(
            "recipient_id", flat=True
        )
    )
    receipts = [
        ReminderReceipt(recipient_id=recipient, key=key, for_date=today)
        for recipient, keys in once_keys.items()
        if recipient in stored
        for key in keys
    ]
    ReminderReceipt.objects.bulk_create(receipts, ignore_conflicts=True, batch_size=5000)


def _send_hour(preference: ReminderPreference | None) -> int:
    return DEFAULT_SEND_HOUR if preference is None else preference.send_hour


def build_team_messages(today: date, *, now: datetime) -> int:
    """Today's message of every team with a group bot: per member, what is overdue and due
    soon (one grouped query)."""
    teams = list(Team.objects.exclude(webhook_url="").prefetch_related("members"))
    if not teams:
        return 0
    open_tasks = MaintenanceTask.objects.open().exclude(partner__status="terminated")
    counts = {
        row["assignee_id"]: row
        for row in open_tasks.values("assignee_id")
        .annotate(
            overdue=Count("id", filter=Q(due_on__lt=today)),
            due_soon=Count("id", filter=Q(due_on__gte=today, due_on__lte=today + timedelta(3))),
        )
        .order_by()
    }
    messages = []
    with translation.override(settings.LANGUAGE_CODE):
        for team in teams:
            lines = [_("%(team)s · reminders of %(day)s") % {"team": team, "day": today}]
            for member in team.members.all():
                row = counts.get(member.pk, {"overdue": 0, "due_soon": 0})
                lines.append(
                    _("%(name)s: %(overdue)d overdue, %(due_soon)d due in 3 days")
                    % {"name": member, "overdue": row["overdue"], "due_soon": row["due_soon"]}
                )
            messages.append(
                TeamMessage(team=team, for_date=today, text="\n".join(lines), next_attempt_at=now)
            )
    return len(TeamMessage.objects.bulk_create(messages, ignore_conflicts=True))


# --- Sending ------------------------------------------------------------------------------


def send_pending(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Send what is due: rows stuck in "sending" (a worker killed mid-send) go back to the
    queue first; each row is claimed by a conditional UPDATE, so two senders never send the
    same one; one failure does not stop the others."""
    now = now or timezone.now()
    result = {"sent": 0, "failed": 0}
    for model, sender in ((Digest, _deliver_digest), (TeamMessage, _deliver_team_message)):
        model.objects.filter(
            status=DeliveryStatus.SENDING, claimed_at__lt=now - STUCK_AFTER
        ).update(status=DeliveryStatus.PENDING)
        due = model.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        for pk in due.order_by("next_attempt_at").values_list("pk", flat=True)[:limit]:
            outcome = send_one(model, pk, sender, now=now)
            if outcome is not None:
                result["sent" if outcome else "failed"] += 1
    return result


def send_one(model: Any, pk: int, sender: Any, *, now: datetime) -> bool | None:
    """Claim one row and send it. True: sent; False: this attempt failed (retried later, or
    failed for good after MAX_ATTEMPTS); None: someone else has it or it is done."""
    claimed = model.objects.filter(pk=pk, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    row = model.objects.get(pk=pk)
    try:
        sender(row)
    except Exception as error:  # SMTP, network, a bad address: recorded, never silent
        logger.warning(
            "Reminder %s %s failed (attempt %d): %s", model.__name__, pk, row.attempts, error
        )
        final = row.attempts >= MAX_ATTEMPTS
        model.objects.filter(pk=pk).update(
            status=DeliveryStatus.FAILED if final else DeliveryStatus.PENDING,
            next_attempt_at=None if final else now + timedelta(minutes=2**row.attempts),
            last_error=f"{type(error).__name__}: {error}"[:2000],
        )
        return False
    model.objects.filter(pk=pk).update(status=DeliveryStatus.SENT, sent_at=timezone.now())
    return True


def retry(rows: Any) -> int:
    """Put failed rows back in the queue (the admin's action)."""
    return rows.filter(status=DeliveryStatus.FAILED).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now()
    )


def _deliver_digest(digest: Digest) -> None:
    recipient = digest.recipient
    if not recipient.email:
        raise ValueError("the recipient has no email address")
    with translation.override(recipient.language or settings.LANGUAGE_CODE):
        context = digest_context(digest)
        subject = _("ChannelHub reminders for %(day)s") % {"day": digest.for_date}
        text = render_to_string("emails/reminder_digest.txt", context)
        html = render_to_string("emails/reminder_digest.html", context)
    message = EmailMultiAlternatives(subject, text, to=[recipient.email])
    message.attach_alternative(html, "text/html")
    message.send(fail_silently=False)


def digest_context(digest: Digest) -> dict[str, Any]:
    """The digest's items grouped by kind, in the order of ReminderKind, with links."""
    site = settings.SITE_URL.rstrip("/")
    groups = []
    for kind in ReminderKind:
        items = [item for item in digest.items if item["kind"] == kind][:SHOWN_PER_KIND]
        if items:
            count = max(digest.item_count(kind), len(items))
            groups.append(
                {
                    "kind": kind,
                    "label": kind.label,
                    "count": count,
                    "items": items,
                    "more": count - len(items),
                }
            )
    return {"digest": digest, "groups": groups, "site": site, "recipient": digest.recipient}


def _deliver_team_message(message: TeamMessage) -> None:
    team = message.team
    post_webhook(team.webhook_kind, team.webhook_url, message.text)


def check_webhook_url(kind: str, url: str) -> None:
    """Only the group-bot services' own HTTPS addresses: the server never posts elsewhere."""
    parts = urlsplit(url)
    host = WEBHOOK_HOSTS.get(kind)
    if parts.scheme != "https" or host is None or parts.hostname != host:
        raise ValidationError(
            {"webhook_url": _("Use the https address the group bot gives (%(host)s).")
             % {"host": host or "—"}}
        )  # fmt: skip


def post_webhook(kind: str, url: str, text: str) -> None:
    """Post a text message to a WeCom or DingTalk group bot (both take the same body)."""
    check_webhook_url(kind, url)
    body = {"msgtype": "text", "text": {"content": text}}
    request = urllib.request.Request(  # noqa: S310 (the address is checked above)
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=settings.EMAIL_TIMEOUT) as response:  # noqa: S310
        answer = json.loads(response.read() or b"{}")
    if answer.get("errcode", 0) != 0:
        raise RuntimeError(f"the group bot answered {answer}")


# --- Settings people change -----------------------------------------------------------------


@transaction.atomic
def save_preferences(
    user: Any, *, email_enabled: bool, send_hour: int, disabled_kinds: list[str]
) -> ReminderPreference:
    unknown = set(disabled_kinds) - set(ReminderKind.values)
    if unknown:
        raise ValidationError({"disabled_kinds": _("Unknown kind of reminder.")})
    preference, _created = ReminderPreference.objects.update_or_create(
        user=user,
        defaults={
            "email_enabled": email_enabled,
            "send_hour": send_hour,
            "disabled_kinds": sorted(disabled_kinds),
        },
    )
    return preference


@transaction.atomic
def save_team(team: Team, *, members: Any, saved_by: Any) -> Team:
    if team.webhook_url or team.webhook_kind:
        if not (team.webhook_url and team.webhook_kind):
            raise ValidationError({"webhook_url": _("Choose the group bot and give its address.")})
        check_webhook_url(team.webhook_kind, team.webhook_url)
    team.full_clean()
    team._history_user = saved_by  # type: ignore[attr-defined]
    team.save()
    team.members.set(members)
    return team
