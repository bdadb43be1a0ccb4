from django.db import migrations

from accounts.roles import sync_role_permissions


class Migration(migrations.Migration):
    """The roles' sales permissions (catalogue, lines, imports, targets)."""

    dependencies = [
        ("accounts", "0003_role_groups_specialists"),
        ("sales", "0003_import_task_and_permissions"),
    ]

    operations = [migrations.RunPython(sync_role_permissions, migrations.RunPython.noop)]
