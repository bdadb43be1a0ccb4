from django.db import migrations

from accounts.roles import sync_role_permissions


class Migration(migrations.Migration):
    """Managers and VPs get `assign_partner_specialists`."""

    dependencies = [
        ("accounts", "0002_role_groups"),
        ("partners", "0003_partner_assign_specialists_permission"),
    ]

    operations = [migrations.RunPython(sync_role_permissions, migrations.RunPython.noop)]
