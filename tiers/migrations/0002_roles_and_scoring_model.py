from django.db import migrations

from accounts.roles import sync_role_permissions


def create_scoring_model(apps, schema_editor):
    apps.get_model("tiers", "ScoringModel").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    """The default scoring model and the roles' tier-engine permissions."""

    dependencies = [
        ("accounts", "0003_role_groups_specialists"),
        ("support", "0003_digest_receipts_replace_sla_marks"),
        ("tiers", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_scoring_model, migrations.RunPython.noop),
        migrations.RunPython(sync_role_permissions, migrations.RunPython.noop),
    ]
