"""The report's JSON Schema, shipped with the code and checked before a report is stored."""

import json
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator

from audits.constants import REPORT_SCHEMA_FILE

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / REPORT_SCHEMA_FILE


@cache
def report_validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def report_errors(document: dict) -> list[str]:
    """Every schema violation as 'path: message' (empty when the document is valid)."""
    errors = sorted(report_validator().iter_errors(document), key=lambda e: list(e.path))
    return [f"{'/'.join(map(str, e.path)) or '(root)'}: {e.message}" for e in errors]
