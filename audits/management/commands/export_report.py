"""`python manage.py export_report ID --format F [--out FILE]`: a report in a governance format, from its
canonical JSON (json, model_card, hf_card, csv, dsse, html, pdf). The export is recorded in the trail."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from audits.api.views_reports import EXPORT_FORMATS
from audits.exceptions import ApplicationError
from audits.models import AuditReport
from audits.services.events import event_record
from audits.services.report_exports import report_export


class Command(BaseCommand):
    help = "Export a report: json, model_card, hf_card, csv, dsse, html or pdf."

    def add_arguments(self, parser):
        parser.add_argument("report", type=int, help="report id")
        parser.add_argument("--format", choices=EXPORT_FORMATS, default="json")
        parser.add_argument("--out", help="file to write (default: standard output; pdf needs --out)")

    def handle(self, *args, **options):
        report = AuditReport.objects.select_related("workspace").filter(pk=options["report"]).first()
        if report is None:
            raise CommandError(f"No report {options['report']}.")
        try:
            exported = report_export(report=report, fmt=options["format"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        with transaction.atomic():
            event_record(
                action="report.exported",
                obj=report,
                actor_label="cli",
                workspace=report.workspace,
                after={"sha256": report.sha256, "format": options["format"], "via": "cli"},
            )
        if options["out"]:
            Path(options["out"]).write_bytes(exported.content)
            self.stderr.write(f"Wrote {options['out']} ({len(exported.content)} bytes, report sha256 {report.sha256}).")
        elif options["format"] == "pdf":
            raise CommandError("A PDF needs --out FILE.")
        else:
            sys.stdout.buffer.write(exported.content)
