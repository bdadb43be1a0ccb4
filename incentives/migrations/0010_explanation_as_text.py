from django.db import migrations

import channelhub.lib.fields


def to_text(apps, schema_editor):
    # SQLite already keeps JSON as text (and remaking the table would drop its triggers).
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE incentives_rebateresult "
            "ALTER COLUMN explanation TYPE text USING explanation::text"
        )


def to_jsonb(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE incentives_rebateresult "
            "ALTER COLUMN explanation TYPE jsonb USING explanation::jsonb"
        )


class Migration(migrations.Migration):
    """Results' explanations as JSON text: a run writes hundreds of thousands, and parsing
    each into jsonb cost the database more than the rest of the row."""

    dependencies = [("incentives", "0009_sqlite_result_triggers")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="rebateresult",
                    name="explanation",
                    field=channelhub.lib.fields.JSONTextField(verbose_name="explanation"),
                ),
            ],
            database_operations=[migrations.RunPython(to_text, to_jsonb)],
        ),
    ]
