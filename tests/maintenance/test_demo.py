from django.core.management import call_command

from maintenance.models import Interaction, MaintenanceTask
from partners.choices import PartnerStatus
from partners.models import Partner, PartnerEvent


def test_demo_interactions_are_on_the_timeline_and_plan_every_partner_s_tasks(db):
    call_command("seed_demo", partners=20, seed=5, interactions=200)
    call_command("seed_demo", partners=20, seed=5, interactions=200)  # adds nothing

    assert Interaction.objects.count() == 200
    assert PartnerEvent.objects.filter(kind="interaction_logged").count() == 200
    active = Partner.objects.exclude(status=PartnerStatus.TERMINATED)
    planned = MaintenanceTask.objects.open().filter(kind="contact")
    assert set(planned.values_list("partner", flat=True)) == set(
        active.values_list("pk", flat=True)
    )
