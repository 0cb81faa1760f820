"""Signed checkpoints of the trail's head, and database guards on every table that holds compliance state
(design.md section 7): checkpoints are append-only (the triggers of 0002); a review's row may change only to the
status its append-only entries imply (the entry first, then the row); a membership may change role or be removed
only after the trail event that records it. Other databases (the SQLite demo) rely on the services alone."""

from django.db import migrations, models

REVIEW_GUARD = """
CREATE OR REPLACE FUNCTION audits_review_guard() RETURNS trigger AS $$
DECLARE
    last_action text;
    last_actor bigint;
    implied text;
BEGIN
    IF TG_OP <> 'UPDATE' THEN
        RAISE EXCEPTION 'table % is append-only: % refused', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.id <> OLD.id OR NEW.report_id <> OLD.report_id OR NEW.workspace_id <> OLD.workspace_id
       OR NEW.submitted_by_id <> OLD.submitted_by_id OR NEW.created_at <> OLD.created_at THEN
        RAISE EXCEPTION 'review %: only its status (and who decided) follows its entries; UPDATE refused', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT action, actor_id INTO last_action, last_actor FROM audits_reviewentry
        WHERE review_id = NEW.id AND action <> 'comment' ORDER BY id DESC LIMIT 1;
    implied := CASE last_action
        WHEN 'submit' THEN 'submitted' WHEN 'start' THEN 'in_review' WHEN 'approve' THEN 'approved'
        WHEN 'reject' THEN 'rejected' WHEN 'request_changes' THEN 'changes_requested' END;
    IF NEW.status IS DISTINCT FROM implied THEN
        RAISE EXCEPTION 'review %: status % is not what its append-only entries say (%); UPDATE refused',
            NEW.id, NEW.status, coalesce(implied, 'no entry') USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.decided_by_id IS DISTINCT FROM
       (CASE WHEN last_action IN ('approve', 'reject', 'request_changes') THEN last_actor END) THEN
        RAISE EXCEPTION 'review %: decided_by is not the author of its decision entry; UPDATE refused', NEW.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

MEMBERSHIP_GUARD = """
CREATE OR REPLACE FUNCTION audits_membership_guard() RETURNS trigger AS $$
DECLARE
    last_action text;
    last_role text;
BEGIN
    SELECT action, "after"->>'role' INTO last_action, last_role FROM audits_auditevent
        WHERE action IN ('membership.set', 'membership.removed') AND object_type = 'Membership'
          AND object_id = OLD.id::text
        ORDER BY id DESC LIMIT 1;
    IF TG_OP = 'DELETE' THEN
        IF last_action IS DISTINCT FROM 'membership.removed' THEN
            RAISE EXCEPTION 'membership %: removed only after its membership.removed trail event (membership_remove); DELETE refused', OLD.id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN OLD;
    END IF;
    IF NEW.id <> OLD.id OR NEW.user_id <> OLD.user_id OR NEW.workspace_id <> OLD.workspace_id
       OR NEW.created_at <> OLD.created_at THEN
        RAISE EXCEPTION 'membership %: only its role changes; UPDATE refused', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF last_action IS DISTINCT FROM 'membership.set' OR last_role IS DISTINCT FROM NEW.role THEN
        RAISE EXCEPTION 'membership %: role % needs its membership.set trail event first (membership_set); UPDATE refused', NEW.id, NEW.role
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

# table -> the row-level function refusing (or guarding) its UPDATE and DELETE; TRUNCATE is refused on all.
GUARDED = {
    "audits_trailcheckpoint": "audits_refuse_change",
    "audits_reportreview": "audits_review_guard",
    "audits_membership": "audits_membership_guard",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(REVIEW_GUARD, params=None)  # no parameters: RAISE uses % placeholders
    schema_editor.execute(MEMBERSHIP_GUARD, params=None)
    for table, function in GUARDED.items():
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}();"
        )
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audits_refuse_change();"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in GUARDED:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table};")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS audits_review_guard();")
    schema_editor.execute("DROP FUNCTION IF EXISTS audits_membership_guard();")


class Migration(migrations.Migration):
    dependencies = [("audits", "0010_rel_run_delivery")]

    operations = [
        migrations.CreateModel(
            name="TrailCheckpoint",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("event_id", models.BigIntegerField()),
                ("event_hash", models.CharField(max_length=64)),
                ("event_count", models.BigIntegerField()),
                ("envelope_json", models.TextField()),
                ("key_id", models.CharField(max_length=64)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={"ordering": ["id"]},
        ),
        migrations.RunPython(create, drop),
    ]
