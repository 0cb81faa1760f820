"""The audit domain: models, services (writes), selectors (reads), tasks, REST API, reports."""
