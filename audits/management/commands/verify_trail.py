"""`python manage.py verify_trail [--checkpoint FILE]`: check the hash chain of the audit trail, that it still
reaches the latest signed checkpoint (and the checkpoint in FILE, one written by `trail_checkpoint --out`), every
report signature, and that reports, reviews and memberships agree with the trail; exit 1 naming the first
inconsistency."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audits.services.trail import trail_verify


class Command(BaseCommand):
    help = (
        "Verify the audit trail's hash chain, its signed checkpoints, the report signatures and the compliance "
        "tables against the trail; name the first inconsistency."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoint",
            metavar="FILE",
            help="a checkpoint written by `trail_checkpoint --out FILE` and kept outside the database",
        )

    def handle(self, *args, checkpoint=None, **options):
        envelope = None
        if checkpoint:
            try:
                envelope = Path(checkpoint).read_bytes()
            except OSError as exc:
                raise CommandError(f"Cannot read the checkpoint file {checkpoint}: {exc.strerror}.") from None
        result = trail_verify(checkpoint_envelope=envelope)
        if result.first_broken_id is not None:
            raise CommandError(
                f"Trail broken at event {result.first_broken_id}: {result.reason} "
                f"({result.checked} entries verified before it)."
            )
        if result.first_broken_signature_id is not None:
            raise CommandError(
                f"Signature {result.first_broken_signature_id} does not verify: {result.reason} "
                f"({result.checked} entries and {result.signatures_checked} signatures verified before it)."
            )
        if not result.ok:
            raise CommandError(f"Trail inconsistent at {result.broken_object}: {result.reason}.")
        if result.checkpoint is None:
            reached = "no signed checkpoint yet (`manage.py trail_checkpoint` signs one)"
        else:
            reached = (
                f"reaches signed checkpoint {result.checkpoint['id']} "
                f"(event {result.checkpoint['event_id']}, {result.checkpoint['event_count']} events)"
            )
        self.stdout.write(
            f"Trail intact: {result.checked} entries verified, {result.signatures_checked} signatures verified, "
            f"{reached}{' and the checkpoint file' if envelope is not None else ''}; reports, reviews and "
            "memberships agree with it."
        )
