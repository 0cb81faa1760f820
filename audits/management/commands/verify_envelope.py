"""`python manage.py verify_envelope ENVELOPE --public-key PEM [--file FILE ...]`: check a downloaded DSSE envelope,
or the in-toto attestation bundle (JSON Lines) of a reviewed report, with only the platform's public key; each
--file (the report JSON, its HTML, ...) must be byte for byte a signed subject. Prints what it attests; exits 1 with
the reason otherwise.
Reads files only, never the database (audits.signing.dsse does the work and runs without Django too)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audits.canonical import sha256_file
from audits.signing import dsse


class Command(BaseCommand):
    help = "Verify a report's DSSE envelope with the platform's public key (and optionally the report file)."

    def add_arguments(self, parser):
        parser.add_argument("envelope", help="the envelope JSON file or attestation bundle (.intoto.jsonl)")
        parser.add_argument("--public-key", required=True, help="the platform's Ed25519 public key (PEM file)")
        parser.add_argument(
            "--file",
            action="append",
            default=[],
            help="a downloaded file (report JSON, HTML, ...) whose sha256 must be a signed subject (repeatable)",
        )
        parser.add_argument("--report", help="the report JSON file (the same check as --file)")

    def handle(self, *args, **options):
        envelope = _read(options["envelope"], "envelope")
        public_key = _read(options["public_key"], "public key")
        try:
            statements = dsse.verify_bundle(envelope, public_key)
            key = dsse.key_id(public_key)
        except dsse.EnvelopeError as exc:
            raise CommandError(f"Envelope NOT verified: {exc}") from None
        digests = {sha: name for statement in statements for sha, name in dsse.subject_digests(statement).items()}
        files = [*([options["report"]] if options["report"] else []), *options["file"]]
        matched = {}
        for path in files:
            try:
                matched[path] = sha256_file(path)
            except OSError as exc:
                raise CommandError(f"Cannot read the file {path}: {exc.strerror}") from None
            if matched[path] not in digests:
                raise CommandError(
                    f"Envelope NOT verified for {path}: its sha256 {matched[path]} is not a subject "
                    "(the file differs from the one that was signed)."
                )
        self.stdout.write(f"Signed by key {key}")
        for statement in statements:
            self.stdout.write(f"predicateType: {statement['predicateType']}")
            for sha256, name in dsse.subject_digests(statement).items():
                self.stdout.write(f"subject: {name} sha256:{sha256}")
            for field, value in (statement.get("predicate") or {}).items():
                shown = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
                self.stdout.write(f"  {field}: {shown}")
        for path, sha256 in matched.items():
            self.stdout.write(f"{path} matches subject {digests[sha256]}")
        self.stdout.write(self.style.SUCCESS("verified"))


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise CommandError(f"Cannot read the {what} file {path}: {exc.strerror}") from None
