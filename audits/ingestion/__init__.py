"""Reading and validating uploaded tables. Decides by content (magic bytes), never by file name."""

from .columns import favourable_mask, normalise_values
from .reader import IngestionError, ParsedTable, read_table
from .validate import AuditColumns, validate_audit_columns

__all__ = [
    "AuditColumns",
    "IngestionError",
    "ParsedTable",
    "favourable_mask",
    "normalise_values",
    "read_table",
    "validate_audit_columns",
]
