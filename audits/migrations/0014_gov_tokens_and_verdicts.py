"""API token scopes beside knox's tokens; the verdict counts of every report (backfilled from the stored JSON),
append-only like the reports they count (the trigger function of 0002)."""

import json
from collections import Counter

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def backfill_verdict_counts(apps, schema_editor):
    """The counts of audits.reports.verdict_counts (results and probe verdicts together) for existing reports."""
    AuditReport = apps.get_model("audits", "AuditReport")
    ReportVerdictCounts = apps.get_model("audits", "ReportVerdictCounts")
    for report_id, text in AuditReport.objects.values_list("id", "canonical_json").iterator():
        document = json.loads(text)
        counts = Counter(r["verdict"] for r in document.get("results") or [])
        counts.update(p["verdict"] for p in document.get("probes") or [])
        ReportVerdictCounts.objects.create(report_id=report_id, counts=dict(sorted(counts.items())))


TABLE = "audits_reportverdictcounts"


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE TRIGGER {TABLE}_no_update_delete BEFORE UPDATE OR DELETE ON {TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION audits_refuse_change();"
    )
    schema_editor.execute(
        f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
        "FOR EACH STATEMENT EXECUTE FUNCTION audits_refuse_change();"
    )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_update_delete ON {TABLE};")
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE};")


class Migration(migrations.Migration):
    dependencies = [
        ("audits", "0013_sched_choices"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [
        migrations.CreateModel(
            name="ApiTokenScope",
            fields=[
                (
                    "token",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="platform_scope",
                        serialize=False,
                        to=settings.KNOX_TOKEN_MODEL,
                    ),
                ),
                (
                    "scope",
                    models.CharField(
                        choices=[("read", "Read only (integration)"), ("full", "Full (acts as you)")], max_length=10
                    ),
                ),
                ("name", models.CharField(blank=True, max_length=100)),
            ],
        ),
        migrations.CreateModel(
            name="ReportVerdictCounts",
            fields=[
                (
                    "report",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        primary_key=True,
                        related_name="verdicts",
                        serialize=False,
                        to="audits.auditreport",
                    ),
                ),
                ("counts", models.JSONField(default=dict)),
            ],
            options={
                "abstract": False,
            },
        ),
        migrations.RunPython(backfill_verdict_counts, migrations.RunPython.noop),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
