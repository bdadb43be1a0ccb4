from django.db import migrations

MESSAGE = "approved rebate statements and settlement lines never change"

# Results are inserted hundreds of thousands at a time (COPY): one check per INSERT statement
# over its new rows, not a trigger call per row. Updates and deletes stay checked per row.
POSTGRESQL = f"""
CREATE FUNCTION incentives_refuse_results_into_approved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_results r JOIN incentives_rebatestatement s
               ON s.id = r.statement_id WHERE s.status = 'approved') THEN
        RAISE EXCEPTION '{MESSAGE} (% on %)', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER result_of_approved_is_final ON incentives_rebateresult;
CREATE TRIGGER result_of_approved_is_final
    BEFORE UPDATE OR DELETE ON incentives_rebateresult
    FOR EACH ROW EXECUTE FUNCTION incentives_refuse_approved_result_change();
CREATE TRIGGER result_into_approved_is_refused
    AFTER INSERT ON incentives_rebateresult REFERENCING NEW TABLE AS new_results
    FOR EACH STATEMENT EXECUTE FUNCTION incentives_refuse_results_into_approved();
"""

POSTGRESQL_REVERSE = """
DROP TRIGGER result_into_approved_is_refused ON incentives_rebateresult;
DROP FUNCTION incentives_refuse_results_into_approved();
DROP TRIGGER result_of_approved_is_final ON incentives_rebateresult;
CREATE TRIGGER result_of_approved_is_final
    BEFORE INSERT OR UPDATE OR DELETE ON incentives_rebateresult
    FOR EACH ROW EXECUTE FUNCTION incentives_refuse_approved_result_change();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL, None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_REVERSE, None)


class Migration(migrations.Migration):
    """On PostgreSQL, new results are checked once per statement (SQLite keeps its row
    triggers: its runs are small)."""

    dependencies = [("incentives", "0007_lean_results")]

    operations = [migrations.RunPython(forwards, backwards)]
