"""`python manage.py verify_trail`: check the hash chain of the audit trail and every report signature; exit 1
naming the first broken entry or signature."""

from django.core.management.base import BaseCommand, CommandError

from audits.services.trail import trail_verify


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain and the report signatures; name the first broken link."

    def handle(self, *args, **options):
        result = trail_verify()
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
        self.stdout.write(
            f"Trail intact: {result.checked} entries verified, {result.signatures_checked} signatures verified."
        )
