"""A tool held by an engineer (an open issued tool) stays `issued`: the database refuses any other
status until the tool is back or declared missing (services.change_status says so first)."""

from django.db import migrations

TRIGGER = """
CREATE FUNCTION crib_tool_status_follows_holder() RETURNS trigger AS $$
BEGIN
    IF NEW.status <> 'issued' AND EXISTS (
        SELECT 1 FROM crib_issuedtool
        WHERE tool_instance_id = NEW.id AND closed_at IS NULL
    ) THEN
        RAISE EXCEPTION 'tool_status_follows_holder: % is issued; its status stays issued until it is returned', NEW.inventory_number
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER crib_tool_status_follows_holder
    BEFORE UPDATE OF status ON crib_toolinstance
    FOR EACH ROW EXECUTE FUNCTION crib_tool_status_follows_holder();
"""

UNDO = """
DROP TRIGGER crib_tool_status_follows_holder ON crib_toolinstance;
DROP FUNCTION crib_tool_status_follows_holder();
"""


class Migration(migrations.Migration):
    dependencies = [("crib", "0005_verdicts")]

    operations = [migrations.RunSQL(sql=TRIGGER, reverse_sql=UNDO)]
