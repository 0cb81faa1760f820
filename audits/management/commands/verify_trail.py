"""`python manage.py verify_trail`: check the hash chain of the audit trail; exit 1 naming the first broken entry."""

from django.core.management.base import BaseCommand, CommandError

from audits.services.trail import trail_verify


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain and name the first broken link."

    def handle(self, *args, **options):
        result = trail_verify()
        if not result.ok:
            raise CommandError(
                f"Trail broken at event {result.first_broken_id}: {result.reason} "
                f"({result.checked} entries verified before it)."
            )
        self.stdout.write(f"Trail intact: {result.checked} entries verified.")
