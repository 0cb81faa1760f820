"""Constants of the audit domain."""

from explainers.audit_settings import BLACK_BOX_METHODS, PlanSettings, ProbeSettings
from explainers.estimated.bisg import RACE_LABELS
from explainers.lexicons import available_lexicons
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
PROBE_DEFAULTS = ProbeSettings()
ATTRIBUTION_METHODS = BLACK_BOX_METHODS  # how a score-only model's probe findings are explained
BUILTIN_LEXICONS = tuple(available_lexicons())  # the text probe's built-in word lists, by name

# What-if playground (audits.services.whatif): the worker task's time limits, how long a request waits for it
# before the page polls (the API answers 202), and how long a result stays in the predictions cache.
WHATIF_SOFT_TIME_LIMIT = 60
WHATIF_TIME_LIMIT = 90
WHATIF_WAIT_SECONDS = 8
WHATIF_CACHE_SECONDS = 24 * 3600
WHATIF_MAX_TEXT = 2_000

# Groups of a race estimated from proxies (BISG / BIFSG): the plan builder offers them as reference groups.
ESTIMATED_RACE_GROUPS = RACE_LABELS
