from django.db import migrations

from accounts.roles import sync_role_permissions

MESSAGE = "approved rebate statements and settlement lines never change"

POSTGRESQL = f"""
CREATE FUNCTION incentives_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE} (% on %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END $$;

CREATE TRIGGER statement_approved_is_final
    BEFORE UPDATE OR DELETE ON incentives_rebatestatement
    FOR EACH ROW WHEN (OLD.status = 'approved') EXECUTE FUNCTION incentives_refuse_change();

CREATE FUNCTION incentives_refuse_approved_result_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM incentives_rebatestatement
               WHERE id = OLD.statement_id AND status = 'approved') THEN
        RAISE EXCEPTION '{MESSAGE} (% on %)', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;

CREATE TRIGGER result_of_approved_is_final
    BEFORE UPDATE OR DELETE ON incentives_rebateresult
    FOR EACH ROW EXECUTE FUNCTION incentives_refuse_approved_result_change();

CREATE TRIGGER settlement_line_is_final
    BEFORE UPDATE OR DELETE ON incentives_settlementline
    FOR EACH ROW EXECUTE FUNCTION incentives_refuse_change();

CREATE TRIGGER payout_is_final
    BEFORE UPDATE OR DELETE ON incentives_payout
    FOR EACH ROW EXECUTE FUNCTION incentives_refuse_change();
"""

POSTGRESQL_REVERSE = """
DROP TRIGGER payout_is_final ON incentives_payout;
DROP TRIGGER settlement_line_is_final ON incentives_settlementline;
DROP TRIGGER result_of_approved_is_final ON incentives_rebateresult;
DROP TRIGGER statement_approved_is_final ON incentives_rebatestatement;
DROP FUNCTION incentives_refuse_approved_result_change();
DROP FUNCTION incentives_refuse_change();
"""


def _sqlite_triggers() -> list[str]:
    statements = []
    for operation in ("UPDATE", "DELETE"):
        low = operation.lower()
        statements += [
            f"""CREATE TRIGGER statement_approved_is_final_{low}
                BEFORE {operation} ON incentives_rebatestatement
                FOR EACH ROW WHEN OLD.status = 'approved'
                BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
            f"""CREATE TRIGGER result_of_approved_is_final_{low}
                BEFORE {operation} ON incentives_rebateresult
                FOR EACH ROW WHEN EXISTS (SELECT 1 FROM incentives_rebatestatement
                    WHERE id = OLD.statement_id AND status = 'approved')
                BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
            f"""CREATE TRIGGER settlement_line_is_final_{low}
                BEFORE {operation} ON incentives_settlementline
                BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
            f"""CREATE TRIGGER payout_is_final_{low}
                BEFORE {operation} ON incentives_payout
                BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
        ]
    return statements


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL, None)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in _sqlite_triggers():
            schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_REVERSE, None)
    elif schema_editor.connection.vendor == "sqlite":
        for name in ("statement_approved_is_final", "result_of_approved_is_final",
                     "settlement_line_is_final", "payout_is_final"):  # fmt: skip
            for low in ("update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}_{low}")


class Migration(migrations.Migration):
    """Approved statements, their results, settlement lines and payouts are final: the
    database refuses to change them, whatever the route (UI, API, admin, ORM, raw SQL)."""

    dependencies = [("incentives", "0003_runs_and_statements")]

    operations = [
        migrations.RunPython(create_triggers, drop_triggers),
        migrations.RunPython(sync_role_permissions, migrations.RunPython.noop),
    ]
