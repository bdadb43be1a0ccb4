from django.db import migrations

from accounts.roles import sync_role_permissions


class Migration(migrations.Migration):
    """Sales VPs keep the teams."""

    dependencies = [
        ("accounts", "0003_role_groups_specialists"),
        ("maintenance", "0002_default_policies_and_roles"),
        ("reminders", "0001_initial"),
    ]

    operations = [migrations.RunPython(sync_role_permissions, migrations.RunPython.noop)]
