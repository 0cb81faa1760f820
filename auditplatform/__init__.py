"""Project wiring: settings, URLs, the Celery app. No business rules live here."""

from .celery import app as celery_app

__all__ = ("celery_app",)
