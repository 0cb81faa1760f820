"""Constants of the audit domain."""

REPORT_SCHEMA_VERSION = "1.0.0"
REPORT_SCHEMA_FILE = "report.v1.schema.json"
MAX_GROUPS_PER_ATTRIBUTE = 200
GENESIS_HASH = "0" * 64
DEMO_WORKSPACE = "demo"  # made by `manage.py seed_demo`; `manage.py audit` uses it by default once it exists
