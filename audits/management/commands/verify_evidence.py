"""`python manage.py verify_evidence PACK.zip --public-key KEY`: check an EU AI Act evidence pack offline.

Verifies the signature of its MANIFEST with the given Ed25519 public key (PEM), every file's sha256 against the
signed manifest, that no file is missing or added, then the report's own signatures and each trail event's hash.
Needs no database. Exits 0 with a summary, or 1 naming the first file that does not match."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audits.exports.evidence import verify_evidence_pack


class Command(BaseCommand):
    help = "Verify an evidence pack (ZIP) offline with the platform's public key; names the first file that fails."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("pack", help="the evidence pack (.zip)")
        parser.add_argument("--public-key", required=True, help="the platform's Ed25519 public key (PEM file)")

    def handle(self, *args, **options):
        try:
            data = Path(options["pack"]).read_bytes()
            key = Path(options["public_key"]).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {exc.filename}: {exc.strerror}.") from exc
        try:
            check = verify_evidence_pack(data, key)
        except ValueError as exc:
            raise CommandError(f"Unreadable public key {options['public_key']}: {exc}") from exc
        if not check.ok:
            raise CommandError(f"FAILED: {check.first_bad_file}: {check.reason}")
        predicate = check.predicate
        self.stdout.write(
            f"OK: {check.files} files match the signed manifest of report {predicate.get('report_id')} "
            f"(sha256 {predicate.get('report_sha256')}), approved by {predicate.get('approved_by')} "
            f"at {predicate.get('approved_at')}."
        )
        for note in check.notes:
            self.stdout.write(f"OK: {note}.")
