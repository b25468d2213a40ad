"""Rules PostgreSQL itself enforces, whatever writes the rows (services, the admin, raw SQL):

- an advance's amount lies within its dispositif's bounds (``advance_min``/``advance_max``):
  a CHECK cannot read another table, so a trigger checks every insert, and every update
  that changes the amount or the dispositif;
- the ledger (journal transactions and their lines) is append-only: UPDATE and DELETE raise;
- a journal transaction is balanced: its debits equal its credits, checked when the
  database transaction commits (a deferred constraint trigger), once all lines are in.
"""

from django.db import migrations

BOUNDS = """
CREATE FUNCTION loans_advance_within_bounds() RETURNS trigger AS $$
DECLARE
    low numeric;
    high numeric;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.amount = OLD.amount
            AND NEW.dispositif_id = OLD.dispositif_id THEN
        RETURN NEW;
    END IF;
    SELECT advance_min, advance_max INTO low, high
        FROM dispositifs_dispositif WHERE id = NEW.dispositif_id;
    IF NEW.amount < low OR NEW.amount > high THEN
        RAISE EXCEPTION 'advance amount % outside the bounds [%, %] of dispositif %',
            NEW.amount, low, high, NEW.dispositif_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'advance_amount_within_bounds';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER loans_advance_within_bounds
    BEFORE INSERT OR UPDATE ON loans_advance
    FOR EACH ROW EXECUTE FUNCTION loans_advance_within_bounds();
"""

BOUNDS_REVERSE = """
DROP TRIGGER IF EXISTS loans_advance_within_bounds ON loans_advance;
DROP FUNCTION IF EXISTS loans_advance_within_bounds();
"""

APPEND_ONLY = """
CREATE FUNCTION loans_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER loans_journaltransaction_append_only
    BEFORE UPDATE OR DELETE ON loans_journaltransaction
    FOR EACH ROW EXECUTE FUNCTION loans_ledger_append_only();

CREATE TRIGGER loans_ledgerline_append_only
    BEFORE UPDATE OR DELETE ON loans_ledgerline
    FOR EACH ROW EXECUTE FUNCTION loans_ledger_append_only();

CREATE FUNCTION loans_journal_balanced() RETURNS trigger AS $$
DECLARE
    debits numeric;
    credits numeric;
BEGIN
    SELECT coalesce(sum(debit), 0), coalesce(sum(credit), 0) INTO debits, credits
        FROM loans_ledgerline WHERE transaction_id = NEW.transaction_id;
    IF debits <> credits THEN
        RAISE EXCEPTION 'journal transaction % is unbalanced: debits % <> credits %',
            NEW.transaction_id, debits, credits
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_transaction_balanced';
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER loans_ledger_balanced
    AFTER INSERT ON loans_ledgerline
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION loans_journal_balanced();
"""

APPEND_ONLY_REVERSE = """
DROP TRIGGER IF EXISTS loans_ledger_balanced ON loans_ledgerline;
DROP FUNCTION IF EXISTS loans_journal_balanced();
DROP TRIGGER IF EXISTS loans_ledgerline_append_only ON loans_ledgerline;
DROP TRIGGER IF EXISTS loans_journaltransaction_append_only ON loans_journaltransaction;
DROP FUNCTION IF EXISTS loans_ledger_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("loans", "0001_funds_advances_ledger")]

    operations = [
        migrations.RunSQL(BOUNDS, BOUNDS_REVERSE),
        migrations.RunSQL(APPEND_ONLY, APPEND_ONLY_REVERSE),
    ]
