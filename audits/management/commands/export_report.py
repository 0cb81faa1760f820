"""`python manage.py export_report ID --format F [--out FILE|DIR]`: a report in a governance format, from its
canonical JSON (json, model_card, hf_card, csv, dsse, html, html_review, pdf, cyclonedx, spdx, ll144, ll144_csv,
ll144_html, evidence). The export is recorded in the trail. Given a folder, --out writes the file under the name the
API serves (the name its signed subject carries)."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audits.choices import ExportFormat
from audits.exceptions import ApplicationError
from audits.models import AuditReport
from audits.services.report_exports import report_export


class Command(BaseCommand):
    help = (
        "Export a report: json, model_card, hf_card, csv, dsse, html, html_review, pdf, cyclonedx (CycloneDX "
        "ML-BOM), spdx (SPDX 3 AI), ll144 (NYC LL144 summary JSON), ll144_csv, ll144_html or evidence (EU AI Act "
        "evidence pack ZIP, approved reports only)."
    )

    def add_arguments(self, parser):
        parser.add_argument("report", type=int, help="report id")
        parser.add_argument("--format", choices=ExportFormat.values, default=ExportFormat.JSON.value)
        parser.add_argument(
            "--out",
            help="file to write, or a folder to write it in under its served name (default: standard output; "
            "pdf and evidence need --out)",
        )

    def handle(self, *args, **options):
        report = AuditReport.objects.select_related("workspace").filter(pk=options["report"]).first()
        if report is None:
            raise CommandError(f"No report {options['report']}.")
        if options["format"] in (ExportFormat.PDF, ExportFormat.EVIDENCE) and not options["out"]:
            raise CommandError(f"A binary export ({options['format']}) needs --out FILE.")
        try:
            exported = report_export(actor=None, report=report, fmt=options["format"], via="cli")
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        if options["out"]:
            out = Path(options["out"])
            out = out / exported.filename if out.is_dir() else out
            out.write_bytes(exported.content)
            self.stderr.write(f"Wrote {out} ({len(exported.content)} bytes, report sha256 {report.sha256}).")
        else:
            sys.stdout.buffer.write(exported.content)
