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


def test_demo_reviews_plan_this_quarter_and_close_earlier_ones(db):
    from reviews.models import BusinessReview, ReviewAction

    call_command("seed_demo", partners=12, seed=6, sales_lines=400)
    call_command("seed_demo", partners=12, seed=6)  # adds nothing
    closed = BusinessReview.objects.filter(status="closed")
    assert closed.count() == 4 * Partner.objects.exclude(status=PartnerStatus.TERMINATED).count()
    assert all(review.figures["quarter"] == str(review.period) for review in closed)
    assert BusinessReview.objects.filter(status="planned").exists()
    assert ReviewAction.objects.exists()
