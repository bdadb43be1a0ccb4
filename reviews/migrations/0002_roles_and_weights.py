from django.db import migrations

from accounts.roles import sync_role_permissions


def create_default_weights(apps, schema_editor):
    apps.get_model("reviews", "ScorecardWeights").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    """The roles' review permissions, and the default scorecard weights (40/20/20/20)."""

    dependencies = [
        ("accounts", "0003_role_groups_specialists"),
        ("reminders", "0004_team_history"),
        ("reviews", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_default_weights, migrations.RunPython.noop),
        migrations.RunPython(sync_role_permissions, migrations.RunPython.noop),
    ]
