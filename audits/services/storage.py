"""Per-workspace storage quota (issue 14): what a workspace's uploads occupy, and the check before storing more.

Usage is read from what is stored, not kept as a counter that could drift: each dataset's Parquet file, each skops
model file, and each uploaded transformers folder (its files' bytes, recorded at registration). Folders on an
allowed server path and built-in models are not stored by the platform and do not count.
"""

from django.conf import settings

from audits.exceptions import ApplicationError
from audits.models import Workspace
from audits.selectors import workspace_storage_used


def workspace_storage_require(*, workspace: Workspace, adding: int, field: str = "file") -> None:
    """Raise ApplicationError (400) when storing `adding` more bytes would take the workspace over
    AUDIT_WORKSPACE_QUOTA_BYTES (0: no quota), naming the limit and the room left."""
    quota = settings.AUDIT_WORKSPACE_QUOTA_BYTES
    if not quota:
        return
    used = workspace_storage_used(workspace=workspace)
    if used + adding > quota:
        raise ApplicationError(
            f"Workspace '{workspace.name}' holds {used / 1e6:,.1f} MB of its {quota / 1e6:,.0f} MB storage quota "
            f"(AUDIT_WORKSPACE_QUOTA_BYTES); this upload needs {adding / 1e6:,.1f} MB. Ask an administrator to raise "
            "the quota, or upload a sample.",
            field=field,
        )
