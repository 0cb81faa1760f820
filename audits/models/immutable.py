"""Append-only rows: the ORM refuses to change or delete them (PostgreSQL triggers back this up)."""

from django.db import models


class ImmutableRecordError(Exception):
    """Raised on an attempt to change or delete an append-only record."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableRecordError(f"{self.model.__name__} rows are append-only: update refused")

    def delete(self):
        raise ImmutableRecordError(f"{self.model.__name__} rows are append-only: delete refused")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableRecordError(f"{type(self).__name__} {self.pk} is append-only: save refused")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError(f"{type(self).__name__} {self.pk} is append-only: delete refused")
