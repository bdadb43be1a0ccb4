from django.db import migrations

from accounts.roles import sync_role_permissions


class Migration(migrations.Migration):
    """The role groups of product.md §1 with their permissions (accounts/roles.py)."""

    dependencies = [
        ("accounts", "0001_initial"),
        ("partners", "0001_initial"),
        ("authtoken", "0004_alter_tokenproxy_options"),
    ]

    operations = [migrations.RunPython(sync_role_permissions, migrations.RunPython.noop)]
