from django.db import migrations

from accounts.roles import sync_role_permissions

CORE_QUESTIONS = [
    ("satisfaction", "总体来说，您对与我们的合作满意吗？", "Overall, how satisfied are you with working with us?", 1),
    ("recommend", "您有多大可能向同行推荐与我们合作？", "How likely are you to recommend working with us to a peer?", 2),
    ("comment", "还有什么想告诉我们的吗？", "Is there anything else you would like to tell us?", 3),
]


def create_defaults(apps, schema_editor):
    apps.get_model("surveys", "SurveySettings").objects.get_or_create(pk=1)
    question = apps.get_model("surveys", "SurveyQuestion")
    for kind, text_zh, text_en, position in CORE_QUESTIONS:
        question.objects.get_or_create(
            kind=kind,
            defaults={"text_zh": text_zh, "text_en": text_en, "position": position,
                      "is_required": kind != "comment"},
        )


class Migration(migrations.Migration):
    """The three questions every survey asks, the default schedule (day 1, 10:00, links
    valid 30 days), and the roles' survey permissions."""

    dependencies = [
        ("accounts", "0003_role_groups_specialists"),
        ("reviews", "0003_planned_meeting_index"),
        ("surveys", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_defaults, migrations.RunPython.noop),
        migrations.RunPython(sync_role_permissions, migrations.RunPython.noop),
    ]
