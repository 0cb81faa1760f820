"""Constants of the audit domain."""

from explainers.audit_settings import PlanSettings
from explainers.metrics.definitions import METRIC_DEFINITIONS

REPORT_SCHEMA_VERSION = "1.0.0"
REPORT_SCHEMA_FILE = "report.v1.schema.json"
MAX_GROUPS_PER_ATTRIBUTE = 200
GENESIS_HASH = "0" * 64
DEMO_WORKSPACE = "demo"  # made by `manage.py seed_demo`; `manage.py audit` uses it by default once it exists

# The plan settings' defaults and the metrics with their default bands, for callers that do not import
# explainers (the pages): read from the one definition, never restated.
PLAN_DEFAULTS = PlanSettings()
METRICS = tuple(METRIC_DEFINITIONS.values())
