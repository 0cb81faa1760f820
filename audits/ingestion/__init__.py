"""Reading and validating uploaded tables. Decides by content (magic bytes), never by file name."""

from .reader import IngestionError, ParsedTable, check_table_head, read_table
from .validate import AuditColumns, validate_audit_columns

__all__ = [
    "AuditColumns",
    "IngestionError",
    "ParsedTable",
    "check_table_head",
    "read_table",
    "validate_audit_columns",
]
