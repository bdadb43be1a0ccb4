from django.db import migrations

TRIGRAM_INDEXES = [
    ("partner_legal_name_trgm", "partners_partner", "legal_name"),
    ("partner_short_name_trgm", "partners_partner", "short_name"),
    ("partner_code_trgm", "partners_partner", "code"),
    ("contact_name_trgm", "partners_contact", "name"),
    ("contact_phone_trgm", "partners_contact", "phone"),
    ("contact_email_trgm", "partners_contact", "email"),
    ("partner_city_trgm", "partners_partner", "city"),
]


def create_trigram_indexes(apps, schema_editor):
    """Free-text search uses ILIKE '%…%'; on PostgreSQL trigram indexes keep it fast at
    100 000 partners. SQLite (the embedded default) scans, which is fine at its sizes."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in TRIGRAM_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (upper({column}) gin_trgm_ops)"
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("partners", "0001_initial")]

    operations = [migrations.RunPython(create_trigram_indexes, drop_trigram_indexes)]
