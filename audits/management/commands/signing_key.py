"""`python manage.py signing_key --public`: print the platform's public key (PEM on stdout, key id on stderr, so
`> signing-key.pub.pem` gives a clean file for verifiers). `--generate PATH`: write a new private key file (0600)
for AUDIT_SIGNING_KEY_FILE. The private key is never printed."""

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management.base import BaseCommand, CommandError

from audits.signing import dsse
from audits.signing.keys import current_key_id, key_file_write, public_key_pem


class Command(BaseCommand):
    help = "Print the report signing public key, or generate a new private key file."

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--public", action="store_true", help="print the public key (PEM) and its key id")
        group.add_argument("--generate", metavar="PATH", help="write a new Ed25519 private key to PATH (mode 0600)")

    def handle(self, *args, **options):
        if options["generate"]:
            path = Path(options["generate"])
            key = Ed25519PrivateKey.generate()
            try:
                key_file_write(path, key)
            except FileExistsError:
                raise CommandError(f"{path} exists; a signing key is never overwritten.") from None
            self.stdout.write(f"Wrote a new signing key to {path} (key id {dsse.key_id(key.public_key())}).")
            self.stdout.write(f"Set AUDIT_SIGNING_KEY_FILE={path.resolve()}")
            return
        self.stdout.write(public_key_pem(), ending="")
        self.stderr.write(f"key id: {current_key_id()}")
