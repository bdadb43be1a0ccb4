"""Maintenance pages and API: the visit report, attachments, my tasks, tier policies."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from maintenance import services
from maintenance.choices import TaskKind, TaskStatus
from maintenance.models import Interaction, MaintenanceTask, TierPolicy
from partners.choices import Tier
from reminders.models import Team
from tests.factories import PartnerFactory


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_a_manager_logs_a_visit_with_photos_from_the_partner_page(as_user, manager, partner):
    client = as_user(manager)
    contact = partner.contacts.get()
    page = client.get(reverse("partners:partner_detail", args=[partner.pk]))
    assert reverse("maintenance:interaction_create", args=[partner.pk]) in page.content.decode()

    response = client.post(
        reverse("maintenance:interaction_create", args=[partner.pk]),
        {
            "kind": "visit",
            "channel": "on_site",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "contacts": [contact.pk],
            "summary": "<script>alert(1)</script> 门店陈列检查",
            "next_steps": "补货",
            "attachments": [
                SimpleUploadedFile("store.jpg", b"\xff\xd8\xff\xe0 photo"),
                SimpleUploadedFile("minutes.pdf", b"%PDF-1.7 minutes"),
            ],
        },
    )

    assert response.status_code == 302
    interaction = Interaction.objects.get()
    assert (interaction.kind, interaction.logged_by, interaction.attachments.count()) == (
        "visit", manager, 2)  # fmt: skip
    assert list(interaction.staff.all()) == [manager]
    detail = client.get(reverse("partners:partner_detail", args=[partner.pk])).content.decode()
    assert "门店陈列检查" in detail
    assert "<script>alert(1)</script>" not in detail
    photo = client.get(interaction.attachments.get(name="store.jpg").get_absolute_url())
    assert (photo.status_code, photo["Content-Type"]) == (200, "image/jpeg")
    assert MaintenanceTask.objects.open().filter(partner=partner, kind=TaskKind.VISIT).exists()


def test_a_bad_attachment_keeps_the_form_and_writes_nothing(as_user, manager, partner):
    response = as_user(manager).post(
        reverse("maintenance:interaction_create", args=[partner.pk]),
        {
            "kind": "visit",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "summary": "拜访",
            "attachments": [SimpleUploadedFile("virus.jpg", b"MZ\x90\x00")],
        },
    )
    assert response.status_code == 400
    assert "virus.jpg" in response.content.decode()
    assert not Interaction.objects.exists()


def test_outsiders_get_404_on_interactions_and_their_files(as_user, manager, outsider, partner):
    interaction = services.log_interaction(
        partner,
        logged_by=manager,
        kind="visit",
        summary="广州门店季度拜访纪要",
        attachments=[SimpleUploadedFile("a.pdf", b"%PDF-1")],
    )
    client = as_user(outsider)
    assert client.get(interaction.get_absolute_url()).status_code == 404
    assert client.get(interaction.attachments.get().get_absolute_url()).status_code == 404
    assert (
        interaction.summary
        not in client.get(reverse("maintenance:interaction_list")).content.decode()
    )


def test_my_tasks_shows_overdue_due_this_week_and_done(
    as_user, manager, django_assert_max_num_queries
):
    today = timezone.localdate()
    partners = PartnerFactory.create_batch(4, owner=manager, tier=Tier.CORE)
    services.log_interaction(
        partners[0], logged_by=manager, kind="call", summary="a",
        occurred_at=timezone.now() - timedelta(days=20),
    )  # fmt: skip
    for partner in partners[1:]:
        services.log_interaction(partner, logged_by=manager, kind="call", summary="b")
    services.create_adhoc_task(
        partners[1], created_by=manager, title="寄样品", due_on=today, assignee=manager
    )
    client = as_user(manager)

    with django_assert_max_num_queries(15):
        response = client.get(reverse("maintenance:my_tasks"))

    assert [task.partner for task in response.context["overdue"]] == [partners[0]]
    assert [task.title for task in response.context["this_week"]] == ["寄样品"]
    assert len(response.context["later"]) == 3
    assert 'id="timeliness"' in response.content.decode()


def test_an_ad_hoc_task_is_added_and_completed_in_the_browser(as_user, manager, partner):
    client = as_user(manager)
    client.post(
        reverse("maintenance:task_create", args=[partner.pk]),
        {"title": "寄送报价单", "due_on": timezone.localdate().isoformat(), "assignee": manager.pk},
    )
    task = MaintenanceTask.objects.get(kind=TaskKind.ADHOC)

    client.post(reverse("maintenance:task_action", args=[task.pk, "complete"]), {"note": "已寄"})

    task.refresh_from_db()
    assert (task.status, task.note) == (TaskStatus.DONE, "已寄")


def test_a_vp_edits_tier_policies_and_a_manager_only_reads_them(as_user, vp, manager):
    policies = list(TierPolicy.objects.order_by("id"))
    data = {"form-TOTAL_FORMS": 3, "form-INITIAL_FORMS": 3}
    for index, policy in enumerate(policies):
        data.update({
            f"form-{index}-id": policy.pk,
            f"form-{index}-contact_every_days": policy.contact_every_days,
            f"form-{index}-visit_every_days": policy.visit_every_days or "",
            f"form-{index}-review_every": policy.review_every,
            f"form-{index}-rebate_multiplier": policy.rebate_multiplier,
            f"form-{index}-issue_sla_days": policy.issue_sla_days,
        })  # fmt: skip
    core_index = next(i for i, p in enumerate(policies) if p.tier == Tier.CORE)
    data[f"form-{core_index}-contact_every_days"] = 10

    assert as_user(manager).post(reverse("maintenance:tier_policies"), data).status_code == 403
    assert as_user(manager).get(reverse("maintenance:tier_policies")).status_code == 200
    response = as_user(vp).post(reverse("maintenance:tier_policies"), data)

    assert response.status_code == 302
    assert TierPolicy.objects.get(tier=Tier.CORE).contact_every_days == 10
    page = as_user(vp).get(reverse("maintenance:tier_policies")).content.decode()
    assert "policy-history" in page


def test_the_api_logs_an_interaction_and_refuses_another_partner_s_contact(
    as_api_user, manager, partner, outsider
):
    client = as_api_user(manager)
    strangers_contact = PartnerFactory(owner=outsider).contacts.create(name="外人")

    refused = client.post(
        "/api/v1/interactions/",
        {"partner": partner.pk, "kind": "call", "summary": "x", "contacts": [strangers_contact.pk]},
        format="json",
    )
    created = client.post(
        "/api/v1/interactions/",
        {"partner": partner.pk, "kind": "call", "summary": "电话沟通"},
        format="json",
    )

    assert refused.status_code == 400
    assert created.status_code == 201, created.json()
    assert created.json()["logged_by"] == str(manager)
    listed = client.get("/api/v1/interactions/", {"partner": partner.pk, "kind": "call"}).json()
    assert listed["count"] == 1
    tasks = client.get("/api/v1/maintenance-tasks/", {"partner": partner.pk}).json()
    assert [task["kind"] for task in tasks["results"]] == ["contact"]


def test_the_api_adds_and_completes_an_ad_hoc_task_and_reports_timeliness(
    as_api_user, manager, partner
):
    client = as_api_user(manager)
    today = timezone.localdate().isoformat()
    created = client.post(
        "/api/v1/maintenance-tasks/",
        {"partner": partner.pk, "title": "回访", "due_on": today, "assignee": manager.pk},
        format="json",
    )
    assert created.status_code == 201, created.json()

    done = client.post(f"/api/v1/maintenance-tasks/{created.json()['id']}/complete/", {})
    team = Team.objects.create(name="华南组")
    team.members.add(manager)
    kpi = client.get("/api/v1/maintenance-timeliness/").json()

    assert done.json()["status"] == "done"
    row = {"due": 1, "on_time": 1, "percent": "100.0"}
    assert {"assignee": manager.pk, "team": None, **row} in kpi
    assert {"assignee": None, "team": team.pk, **row} in kpi
    assert {"assignee": None, "team": None, **row} in kpi


def test_a_manager_reassigns_a_task_to_the_partner_s_specialist(
    as_user, manager, specialist, partner
):
    services.log_interaction(partner, logged_by=manager, kind="call", summary="沟通")
    task = MaintenanceTask.objects.open().get(partner=partner)
    client = as_user(manager)
    page = client.get(reverse("partners:partner_detail", args=[partner.pk])).content.decode()
    assert reverse("maintenance:task_action", args=[task.pk, "reassign"]) in page

    client.post(
        reverse("maintenance:task_action", args=[task.pk, "reassign"]),
        {"assignee": specialist.pk},
    )

    task.refresh_from_db()
    assert task.assignee == specialist
    assert task.history.first().history_user == manager


def test_a_task_action_never_redirects_off_the_site(as_user, manager, partner):
    task = services.create_adhoc_task(
        partner, created_by=manager, title="回访", due_on=timezone.localdate(), assignee=manager
    )
    response = as_user(manager).post(
        reverse("maintenance:task_action", args=[task.pk, "complete"]),
        {"next": "https://evil.example.com/"},
    )
    assert response["Location"] == reverse("maintenance:my_tasks")
