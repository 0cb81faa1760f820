"""Monitoring: the Prometheus endpoint of the latest approved fairness values and of the runs (design.md section 7:
"a Prometheus endpoint of the latest approved values")."""
