from django.db import migrations

from accounts.roles import sync_role_permissions


def create_settings(apps, schema_editor):
    apps.get_model("dashboards", "DashboardSettings").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    """The dashboards' settings row and the sales VP's dashboard permissions."""

    dependencies = [
        ("accounts", "0003_role_groups_specialists"),
        ("dashboards", "0001_initial"),
        ("incentives", "0009_sqlite_result_triggers"),
        ("reminders", "0005_reminderreceipt"),
    ]

    operations = [
        migrations.RunPython(create_settings, migrations.RunPython.noop),
        migrations.RunPython(sync_role_permissions, migrations.RunPython.noop),
    ]
