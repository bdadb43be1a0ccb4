from django.db import migrations

from accounts.roles import sync_role_permissions


class Migration(migrations.Migration):
    """The sales VP's rebate-program permissions."""

    dependencies = [
        ("accounts", "0003_role_groups_specialists"),
        ("tiers", "0003_run_heartbeat"),
        ("incentives", "0001_programs_and_rules"),
    ]

    operations = [migrations.RunPython(sync_role_permissions, migrations.RunPython.noop)]
