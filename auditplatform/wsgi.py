"""WSGI entry point (gunicorn auditplatform.wsgi:application)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auditplatform.settings.production")

application = get_wsgi_application()
