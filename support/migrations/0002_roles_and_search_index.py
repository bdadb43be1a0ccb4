from django.db import migrations

from accounts.roles import sync_role_permissions


def create_trigram_index(apps, schema_editor):
    """PostgreSQL: a trigram index serves the knowledge base's `LIKE '%…%'` search (Chinese
    substrings included). Other databases search without it."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS article_search_trgm ON support_article "
        "USING gin (search_text gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS article_search_trgm")


class Migration(migrations.Migration):
    """The roles' issue and knowledge-base permissions, and the search index."""

    dependencies = [
        ("accounts", "0003_role_groups_specialists"),
        ("surveys", "0002_roles_and_questions"),
        ("support", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_trigram_index, drop_trigram_index),
        migrations.RunPython(sync_role_permissions, migrations.RunPython.noop),
    ]
