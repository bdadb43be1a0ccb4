from collections import Counter

from django.core.management import call_command

from accounts.models import User
from accounts.roles import Role
from incentives.models import RebateResult, RebateStatement
from maintenance.models import MaintenanceTask
from partners.models import Contact, Partner
from reviews.models import BusinessReview, ReviewAction
from support.models import PartnerIssue
from surveys.models import Survey, SurveyResponse


def snapshot():
    return list(
        Partner.objects.order_by("code").values_list(
            "code", "legal_name", "province", "tier", "owner__username", "status"
        )
    )


def test_seed_demo_creates_users_for_every_role_and_realistic_partners(db):
    call_command("seed_demo", partners=400, seed=7)

    roles = set(User.objects.filter(groups__isnull=False).values_list("groups__name", flat=True))
    assert roles == set(Role.values)
    assert User.objects.get(username="admin").is_superuser
    assert Partner.objects.count() == 400
    tiers = Counter(Partner.objects.values_list("tier", flat=True))
    assert 5 <= tiers["core"] <= 40
    assert 100 <= tiers["regular"] <= 180
    assert tiers["potential"] >= 200
    assert Contact.objects.filter(is_primary=True).count() == 400
    assert Partner.objects.filter(legal_name__endswith="公司").count() == 400


def test_seed_demo_is_idempotent_and_deterministic_for_a_seed(db):
    call_command("seed_demo", partners=50, seed=3)
    first = snapshot()

    call_command("seed_demo", partners=50, seed=3)
    assert snapshot() == first

    MaintenanceTask.objects.all().delete()  # partners are protected by their tasks
    ReviewAction.objects.all().delete()  # … and by their reviews
    BusinessReview.objects.all().delete()
    SurveyResponse.objects.all().delete()  # … and by their surveys and issues
    Survey.objects.all().delete()
    PartnerIssue.objects.all().delete()
    RebateResult.objects.all().delete()  # … and by their rebate statements (drafts)
    RebateStatement.objects.all().delete()
    Partner.objects.all().delete()
    call_command("seed_demo", partners=50, seed=3)
    assert snapshot() == first


def test_a_larger_second_run_adds_only_the_missing_partners(db):
    call_command("seed_demo", partners=20, seed=3)
    call_command("seed_demo", partners=30, seed=3)
    assert Partner.objects.count() == 30


def test_two_seeds_live_side_by_side(db):
    call_command("seed_demo", partners=300, seed=1)
    call_command("seed_demo", partners=300, seed=2)
    assert Partner.objects.count() == 600


def test_the_demo_has_surveys_issues_and_knowledge_articles(db):
    from support.models import Article
    from surveys.results import survey_results
    from tiers.models import EvaluationRun

    call_command("seed_demo", partners=60, seed=5, sales_lines=0, interactions=0)

    assert Survey.objects.exists()
    assert SurveyResponse.objects.exists()
    assert PartnerIssue.objects.filter(resolved_at__isnull=False).exists()
    assert Article.objects.count() == 6
    first = Survey.objects.order_by("month").first().month
    _rows, total = survey_results(
        SurveyResponse.objects.all(), Survey.objects.all(), first_month=first,
        last_month=Survey.objects.order_by("month").last().month, group_by="tier",
    )  # fmt: skip
    assert total.sent == Survey.objects.count()
    assert total.csat is not None
    call_command("seed_demo", partners=60, seed=5, sales_lines=0, interactions=0)
    assert Article.objects.count() == 6  # a second run adds nothing
    assert (
        EvaluationRun.objects.get().scored == Partner.objects.exclude(status="terminated").count()
    )
