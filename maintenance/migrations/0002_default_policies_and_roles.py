from django.db import migrations

from accounts.roles import sync_role_permissions


def create_default_policies(apps, schema_editor):
    from maintenance.services import DEFAULT_POLICIES

    TierPolicy = apps.get_model("maintenance", "TierPolicy")
    for tier, fields in DEFAULT_POLICIES.items():
        TierPolicy.objects.get_or_create(tier=tier, defaults=fields)


class Migration(migrations.Migration):
    """product.md §3's tier policies, and the roles' maintenance permissions."""

    dependencies = [
        ("accounts", "0003_role_groups_specialists"),
        ("maintenance", "0001_initial"),
        ("sales", "0005_leaner_line_indexes"),
    ]

    operations = [
        migrations.RunPython(create_default_policies, migrations.RunPython.noop),
        migrations.RunPython(sync_role_permissions, migrations.RunPython.noop),
    ]
