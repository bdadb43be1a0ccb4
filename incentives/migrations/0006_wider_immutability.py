from django.db import migrations

MESSAGE = "approved rebate statements and settlement lines never change"
FROZEN = "an approved rule version and a finished run never change"

POSTGRESQL = f"""
CREATE OR REPLACE FUNCTION incentives_refuse_approved_result_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND EXISTS (
        SELECT 1 FROM incentives_rebatestatement
        WHERE id = OLD.statement_id AND status = 'approved') THEN
        RAISE EXCEPTION '{MESSAGE} (% on %)', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND EXISTS (
        SELECT 1 FROM incentives_rebatestatement
        WHERE id = NEW.statement_id AND status = 'approved') THEN
        RAISE EXCEPTION '{MESSAGE} (% on %)', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;

DROP TRIGGER result_of_approved_is_final ON incentives_rebateresult;
CREATE TRIGGER result_of_approved_is_final
    BEFORE INSERT OR UPDATE OR DELETE ON incentives_rebateresult
    FOR EACH ROW EXECUTE FUNCTION incentives_refuse_approved_result_change();

CREATE FUNCTION incentives_settle_drafts_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM incentives_rebatestatement
                   WHERE id = NEW.statement_id AND status = 'draft') THEN
        RAISE EXCEPTION '{MESSAGE} (settlement lines come from approving a draft)'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER settlement_line_from_a_draft
    BEFORE INSERT ON incentives_settlementline
    FOR EACH ROW EXECUTE FUNCTION incentives_settle_drafts_only();

CREATE FUNCTION incentives_refuse_frozen_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{FROZEN} (% on %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END $$;

CREATE TRIGGER approved_rule_version_is_final
    BEFORE UPDATE ON incentives_rebaterule FOR EACH ROW
    WHEN (OLD.is_frozen AND (NEW.spec IS DISTINCT FROM OLD.spec OR NEW.code <> OLD.code
          OR NEW.version <> OLD.version OR NEW.program_id <> OLD.program_id
          OR NOT NEW.is_frozen))
    EXECUTE FUNCTION incentives_refuse_frozen_change();
CREATE TRIGGER approved_rule_version_stays
    BEFORE DELETE ON incentives_rebaterule FOR EACH ROW WHEN (OLD.is_frozen)
    EXECUTE FUNCTION incentives_refuse_frozen_change();

CREATE TRIGGER finished_run_is_final
    BEFORE UPDATE ON incentives_rebaterun FOR EACH ROW
    WHEN (OLD.status = 'done' AND (NEW.status <> OLD.status OR NEW.rules IS DISTINCT FROM OLD.rules
          OR NEW.as_of IS DISTINCT FROM OLD.as_of OR NEW.period <> OLD.period
          OR NEW.kind <> OLD.kind OR NEW.program_id <> OLD.program_id
          OR NEW.last_line IS DISTINCT FROM OLD.last_line))
    EXECUTE FUNCTION incentives_refuse_frozen_change();
"""

POSTGRESQL_REVERSE = """
DROP TRIGGER finished_run_is_final ON incentives_rebaterun;
DROP TRIGGER approved_rule_version_stays ON incentives_rebaterule;
DROP TRIGGER approved_rule_version_is_final ON incentives_rebaterule;
DROP FUNCTION incentives_refuse_frozen_change();
DROP TRIGGER settlement_line_from_a_draft ON incentives_settlementline;
DROP FUNCTION incentives_settle_drafts_only();
DROP TRIGGER result_of_approved_is_final ON incentives_rebateresult;
CREATE TRIGGER result_of_approved_is_final
    BEFORE UPDATE OR DELETE ON incentives_rebateresult
    FOR EACH ROW EXECUTE FUNCTION incentives_refuse_approved_result_change();
"""

APPROVED = "SELECT 1 FROM incentives_rebatestatement WHERE id = {} AND status = 'approved'"
SQLITE = [
    f"""CREATE TRIGGER result_into_approved_insert BEFORE INSERT ON incentives_rebateresult
        FOR EACH ROW WHEN EXISTS ({APPROVED.format("NEW.statement_id")})
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER result_into_approved_update BEFORE UPDATE ON incentives_rebateresult
        FOR EACH ROW WHEN EXISTS ({APPROVED.format("NEW.statement_id")})
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER settlement_line_from_a_draft BEFORE INSERT ON incentives_settlementline
        FOR EACH ROW WHEN NOT EXISTS (SELECT 1 FROM incentives_rebatestatement
            WHERE id = NEW.statement_id AND status = 'draft')
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER approved_rule_version_is_final BEFORE UPDATE ON incentives_rebaterule
        FOR EACH ROW WHEN OLD.is_frozen AND (NEW.spec IS NOT OLD.spec OR NEW.code <> OLD.code
            OR NEW.version <> OLD.version OR NEW.program_id <> OLD.program_id
            OR NOT NEW.is_frozen)
        BEGIN SELECT RAISE(ABORT, '{FROZEN}'); END""",
    f"""CREATE TRIGGER approved_rule_version_stays BEFORE DELETE ON incentives_rebaterule
        FOR EACH ROW WHEN OLD.is_frozen BEGIN SELECT RAISE(ABORT, '{FROZEN}'); END""",
    f"""CREATE TRIGGER finished_run_is_final BEFORE UPDATE ON incentives_rebaterun
        FOR EACH ROW WHEN OLD.status = 'done' AND (NEW.status <> OLD.status
            OR NEW.rules IS NOT OLD.rules OR NEW.as_of IS NOT OLD.as_of
            OR NEW.period <> OLD.period OR NEW.kind <> OLD.kind
            OR NEW.program_id <> OLD.program_id OR NEW.last_line IS NOT OLD.last_line)
        BEGIN SELECT RAISE(ABORT, '{FROZEN}'); END""",
]
SQLITE_NAMES = ["result_into_approved_insert", "result_into_approved_update",
                "settlement_line_from_a_draft", "approved_rule_version_is_final",
                "approved_rule_version_stays", "finished_run_is_final"]  # fmt: skip


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL, None)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement, None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_REVERSE, None)
    elif schema_editor.connection.vendor == "sqlite":
        for name in SQLITE_NAMES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}", None)


class Migration(migrations.Migration):
    """What an approved statement rests on is final too: no result or settlement line is
    added to it afterwards (settlement lines come only from approving a draft), an approved
    rule version keeps its rule, and a finished run keeps its rules, day and lines."""

    dependencies = [("incentives", "0005_run_last_line_and_claim")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
