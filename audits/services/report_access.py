"""Report views at scale (design.md section 7): each opening of a report is one row of the access log
(ReportAccess), written without the hash chain's lock; the periodic task folds the new rows into the chain in
batches, one report.views_recorded event per workspace and batch stating the batch's id range, its row count and
the sha256 of its rows. verify_trail recomputes that digest, so a folded row changed, removed or added is named.

Ordering without a global lock: a view takes a SHARED advisory lock (viewers never wait for each other); the fold
takes the same lock EXCLUSIVELY for the instant it reads the highest id, which waits for the views in flight to
commit. Every row up to that id is then committed, and every later row gets a higher id (the sequence only
grows), so a batch (from, to] never misses a row that commits late.
"""

import hashlib
from collections import defaultdict

from django.db import connection, transaction
from django.utils import timezone

from audits.canonical import canonical_dumps
from audits.choices import EventAction
from audits.exceptions import NotFoundError
from audits.models import AuditEvent, AuditReport, Membership, ReportAccess, Workspace

from .events import chain_lock, event_record
from .workspaces import READ_ROLES, workspace_require_role

# The access log's lock (not the chain's): shared by views, exclusive for an instant when a batch is cut.
_ACCESS_LOCK_KEY = 724_911_002
# At most this many rows per batch (a fold with more leaves the rest to the next call).
FOLD_BATCH_ROWS = 50_000


def access_row_payload(row: ReportAccess) -> dict:
    """The fields of an access row covered by its batch's digest."""
    return {
        "id": row.pk,
        "workspace": row.workspace_id,
        "report": row.report_id,
        "actor": row.actor_id,
        "actor_label": row.actor_label,
        "via": row.via,
        "request_id": row.request_id,
        "sha256": row.sha256,
        "created_at": row.created_at.isoformat(),
    }


# One statement, one round trip: the shared lock, the membership check and the insert (lock before the row's id).
_RECORD_SQL = f"""
INSERT INTO {ReportAccess._meta.db_table}
    (workspace_id, report_id, actor_id, actor_label, via, request_id, sha256, created_at)
SELECT %(workspace)s, %(report)s, %(actor)s, %(label)s, %(via)s, %(request_id)s, %(sha256)s, %(at)s
FROM (SELECT pg_advisory_xact_lock_shared(%(lock)s)) AS access_lock
WHERE EXISTS (
    SELECT 1 FROM {Membership._meta.db_table}
    WHERE user_id = %(actor)s AND workspace_id = %(workspace)s AND role = ANY(%(roles)s)
)
RETURNING id
"""


def report_access_record(*, user, report: AuditReport, via: str, request_id: str = "") -> int:
    """Append one row to the access log: `user` opened `report` through `via` ("web" or "api"); returns its id.

    Takes only the access log's shared lock: concurrent views wait neither for one another nor for the chain. On
    PostgreSQL the lock, the membership check and the insert are one statement (a view costs one round trip).
    Raises NotFoundError for a user outside the report's workspace; nothing is written then."""
    values = {
        "workspace": report.workspace_id,
        "report": report.pk,
        "actor": user.pk,
        "label": user.get_username(),
        "via": via,
        "request_id": request_id[:100],
        "sha256": report.sha256,
        "at": timezone.now(),
    }
    if connection.vendor != "postgresql":  # SQLite (the demo): one writer at a time anyway
        with transaction.atomic():
            workspace_require_role(user=user, workspace=report.workspace, roles=READ_ROLES)
            row = ReportAccess.objects.create(
                workspace_id=report.workspace_id,
                report=report,
                actor=user,
                actor_label=values["label"],
                via=via,
                request_id=values["request_id"],
                sha256=report.sha256,
                created_at=values["at"],
            )
            return row.pk
    with connection.cursor() as cursor:
        cursor.execute(_RECORD_SQL, {**values, "lock": _ACCESS_LOCK_KEY, "roles": [str(r) for r in READ_ROLES]})
        row = cursor.fetchone()
    if row is None:
        raise NotFoundError("Workspace not found.", field="workspace")
    return row[0]


def _committed_head() -> int:
    """The highest access-log id with every row up to it committed (see the module's docstring)."""
    if connection.vendor != "postgresql":  # SQLite: one writer at a time, a read sees whole transactions
        return ReportAccess.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [_ACCESS_LOCK_KEY])
        try:
            return ReportAccess.objects.order_by("-id").values_list("id", flat=True).first() or 0
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_ACCESS_LOCK_KEY])


def folded_up_to() -> int:
    """The last access-log id already folded into the chain (0 if none)."""
    after = AuditEvent.objects.filter(action=EventAction.REPORT_VIEWS_RECORDED).order_by("-id").values("after").first()
    return int(after["after"]["to"]) if after is not None else 0


def report_views_fold(*, task_id: str = "", batch_rows: int = FOLD_BATCH_ROWS) -> list[AuditEvent]:
    """Fold the access-log rows not yet in the chain into it: one report.views_recorded event per workspace with
    rows in the batch (after: from, to, count, reports, sha256). Each event is a compliance event, checkpointed as
    it commits. Returns the events written (none when nothing new). Safe to run concurrently: the chain's lock
    makes a second fold see the first's batch."""
    head = _committed_head()  # before the chain's lock: the two locks are never held together
    with transaction.atomic():
        chain_lock()
        start = folded_up_to()
        if head <= start:
            return []
        end = (
            ReportAccess.objects.filter(id__gt=start, id__lte=head)
            .order_by("id")
            .values_list("id", flat=True)[batch_rows - 1 : batch_rows]
            .first()
        ) or head
        batch = batch_by_workspace(start, end)
        workspaces = Workspace.objects.in_bulk(list(batch))
        events = []
        for workspace_id, (count, digest, reports) in sorted(batch.items()):
            events.append(
                event_record(
                    action=EventAction.REPORT_VIEWS_RECORDED,
                    obj=workspaces[workspace_id],
                    actor_label="system",
                    workspace=workspaces[workspace_id],
                    task_id=task_id,
                    after={"from": start, "to": end, "count": count, "reports": reports, "sha256": digest},
                )
            )
        return events


def batch_by_workspace(start: int, end: int) -> dict[int, tuple[int, str, int]]:
    """workspace -> (rows, sha256 of its rows, distinct reports) for access-log ids in (start, end], streamed in id
    order; the sha256 is over one canonical JSON line per row (access_row_payload)."""
    digests: dict = defaultdict(hashlib.sha256)
    counts: dict[int, int] = defaultdict(int)
    reports: dict[int, set] = defaultdict(set)
    rows = ReportAccess.objects.filter(id__gt=start, id__lte=end).order_by("id")
    for row in rows.iterator(chunk_size=5000):
        digests[row.workspace_id].update(canonical_dumps(access_row_payload(row)).encode("utf-8") + b"\n")
        counts[row.workspace_id] += 1
        reports[row.workspace_id].add(row.report_id)
    return {ws: (counts[ws], digests[ws].hexdigest(), len(reports[ws])) for ws in digests}


def access_log_check(folds: list[tuple[int, int | None, dict]]) -> tuple[str, str] | None:
    """The first inconsistency between the access log and the report.views_recorded events `folds` (event id,
    workspace, after; in chain order), as (object, reason); None if none. Batches must follow one another from
    id 0; each batch's rows, per workspace, must have the count and sha256 its event states (a row changed, removed
    or added after folding shows). Rows after the last batch are not folded yet and not checked. Reads only."""
    batches: dict[tuple[int, int], dict[int | None, tuple[int, int, str]]] = {}
    for event_id, workspace_id, after in folds:
        try:
            key = (int(after["from"]), int(after["to"]))
            batches.setdefault(key, {})[workspace_id] = (event_id, int(after["count"]), str(after["sha256"]))
        except (KeyError, TypeError, ValueError):
            return f"event {event_id}", "a report.views_recorded event without from, to, count and sha256"
    previous = 0
    for (start, end), stated in batches.items():
        first_event = min(event_id for event_id, _, _ in stated.values())
        if start != previous:
            return (
                f"event {first_event}",
                f"folds access-log rows ({start}, {end}] but the previous batch ended at row {previous}",
            )
        previous = end
        found = batch_by_workspace(start, end)
        for workspace_id in sorted(set(stated) | set(found), key=lambda w: (w is None, w or 0)):
            reason = _batch_reason(stated.get(workspace_id), found.get(workspace_id), start, end)
            if reason:
                event_id = stated[workspace_id][0] if workspace_id in stated else first_event
                return f"report views of workspace {workspace_id} (event {event_id})", reason
    return None


def _batch_reason(stated: tuple[int, int, str] | None, found: tuple[int, str, int] | None, start: int, end: int) -> str:
    span = f"access-log ids ({start}, {end}]"
    if stated is None:
        return f"{found[0]} row(s) in {span} are in no report.views_recorded event: rows were added after folding"
    if found is None:
        return f"the {stated[1]} row(s) in {span} that its event states are missing: rows were removed"
    if found[0] != stated[1]:
        return f"{found[0]} row(s) in {span}, its event states {stated[1]}: rows were removed or added"
    if found[1] != stated[2]:
        return f"the rows in {span} do not match the sha256 its event states: a row was changed or replaced"
    return ""
