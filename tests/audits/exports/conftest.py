from tests.audits.exports.documents import any_report, compas_report, probe_report  # noqa: F401
