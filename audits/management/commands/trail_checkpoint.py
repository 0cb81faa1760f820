"""`python manage.py trail_checkpoint [--out FILE]`: sign the trail's head now (unless the latest checkpoint
names it already) and write the latest signed checkpoint, a DSSE envelope, to FILE (or print it). Keep the file
outside the database's reach; `verify_trail --checkpoint FILE` then detects a trail cut back or re-chained
even if every checkpoint in the database went with it."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audits.services.checkpoints import checkpoint_export, checkpoint_latest, trail_checkpoint_create


class Command(BaseCommand):
    help = "Sign the audit trail's head as a checkpoint and export the latest one (a DSSE envelope)."

    def add_arguments(self, parser):
        parser.add_argument("--out", metavar="FILE", help="write the checkpoint here (default: print it)")

    def handle(self, *args, out=None, **options):
        trail_checkpoint_create()
        checkpoint = checkpoint_latest()
        if checkpoint is None:
            raise CommandError("The trail is empty: there is no head to sign yet.")
        text = checkpoint_export(checkpoint)
        if not out:
            self.stdout.write(text, ending="")
            return
        try:
            Path(out).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot write {out}: {exc.strerror}.") from None
        self.stdout.write(
            f"Checkpoint {checkpoint.pk} (event {checkpoint.event_id}, {checkpoint.event_count} events, "
            f"hash {checkpoint.event_hash[:12]}) written to {out}."
        )
