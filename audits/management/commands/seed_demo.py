"""`python manage.py seed_demo`: a demo workspace with an auditor, a reviewer and an admin (credentials printed)."""

import secrets

from django.core.management.base import BaseCommand
from django.db import transaction

from audits.choices import Role
from audits.constants import DEMO_WORKSPACE
from audits.models import Workspace
from audits.services.workspaces import membership_set, user_get_or_create, workspace_create


class Command(BaseCommand):
    help = "Create (or refresh) the demo workspace and its users; prints their credentials."

    def add_arguments(self, parser):
        parser.add_argument("--workspace", default=DEMO_WORKSPACE)
        parser.add_argument("--password", default=None, help="use this password for every user (default: random)")

    @transaction.atomic
    def handle(self, *args, **options):
        slug = options["workspace"]
        credentials = {}
        for username in ("auditor", "reviewer", "admin"):
            password = options["password"] or secrets.token_urlsafe(9)
            user_get_or_create(username=username, password=password, email=f"{username}@example.org")
            credentials[username] = password
        auditor = user_get_or_create(username="auditor")
        workspace = Workspace.objects.filter(slug=slug).first() or workspace_create(
            name="Demo workspace", slug=slug, owner=auditor
        )
        membership_set(workspace=workspace, user=auditor, role=Role.AUDITOR, actor=auditor)
        membership_set(
            workspace=workspace, user=user_get_or_create(username="reviewer"), role=Role.REVIEWER, actor=auditor
        )
        # The workspace's administrator: members, webhooks and the workspace settings page.
        membership_set(workspace=workspace, user=user_get_or_create(username="admin"), role=Role.ADMIN, actor=auditor)
        self.stdout.write(f"Workspace '{slug}' ready. Log in at http://127.0.0.1:8000/login/ with:")
        for username, password in credentials.items():
            self.stdout.write(f"  {username:9s} password: {password}")
