from django.db import migrations

MESSAGE = "approved rebate statements and settlement lines never change"
APPROVED = "SELECT 1 FROM incentives_rebatestatement WHERE id = {} AND status = 'approved'"

# Migration 0007 rebuilt incentives_rebateresult on SQLite (a column's constraint changed),
# which drops a table's triggers: they are created again here.
SQLITE = [
    f"""CREATE TRIGGER IF NOT EXISTS result_of_approved_is_final_{low}
        BEFORE {operation} ON incentives_rebateresult
        FOR EACH ROW WHEN EXISTS ({APPROVED.format("OLD.statement_id")})
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"""
    for operation, low in (("UPDATE", "update"), ("DELETE", "delete"))
] + [
    f"""CREATE TRIGGER IF NOT EXISTS result_into_approved_{low}
        BEFORE {operation} ON incentives_rebateresult
        FOR EACH ROW WHEN EXISTS ({APPROVED.format("NEW.statement_id")})
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"""
    for operation, low in (("INSERT", "insert"), ("UPDATE", "update"))
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement, None)


class Migration(migrations.Migration):
    dependencies = [("incentives", "0008_result_guard_per_statement")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
