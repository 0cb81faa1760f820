"""Imports of the app's engine (audits.engine), whichever layout and version is installed."""

from __future__ import annotations

import dataclasses
import os


def import_engine():
    """audits.engine is Django-free apart from TextChoices; configure Django only if that ever changes."""
    try:
        from audits import engine
    except Exception:  # noqa: BLE001 - ImproperlyConfigured / AppRegistryNotReady
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auditplatform.settings.local")
        import django

        django.setup()
        from audits import engine
    return engine


def import_engine_module(name: str):
    """A submodule of the audits.engine package, or None when the engine is a single module."""
    import importlib

    engine = import_engine()
    if not hasattr(engine, "__path__"):
        return None
    return importlib.import_module(f"audits.engine.{name}")


def attribute_spec(engine_module, name: str, columns: list[str]):
    """AttributeSpec for one or several columns, whichever form this version of the engine takes."""
    fields = {f.name for f in dataclasses.fields(engine_module.AttributeSpec)}
    if "columns" in fields:
        return engine_module.AttributeSpec(name=name, columns=list(columns))
    if len(columns) != 1:
        raise ValueError("this engine version audits one column per attribute")
    return engine_module.AttributeSpec(name=name, column=columns[0])


def engine_supports_intersections(engine_module) -> bool:
    return "columns" in {f.name for f in dataclasses.fields(engine_module.AttributeSpec)}
