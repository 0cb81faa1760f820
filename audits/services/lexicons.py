"""Workspace lexicons: users' own term lists for the text probe, versioned and never edited in place."""

from django.db import transaction
from django.db.models import Max

from audits.canonical import canonical_dumps, sha256_hex
from audits.choices import EventAction
from audits.exceptions import ApplicationError
from audits.models import Workspace, WorkspaceLexicon
from explainers.lexicons import available_lexicons, lexicon_from_dict

from .events import event_record
from .workspaces import workspace_require_role

MAX_TERMS = 5_000


@transaction.atomic
def lexicon_create(*, user, workspace: Workspace, content: dict, request_id: str = "") -> WorkspaceLexicon:
    """Store `content` (the built-in lexicon format) as the next version of its name in `workspace`.

    Raises ApplicationError when the structure is invalid (the message names the field), when the name
    is a built-in lexicon's, or when it has more than MAX_TERMS terms. Writes event lexicon.created.
    """
    workspace_require_role(user=user, workspace=workspace)
    try:
        lexicon = lexicon_from_dict(content, origin="uploaded lexicon")
    except ValueError as exc:
        raise ApplicationError(str(exc), field="content") from exc
    name = lexicon.name.strip().lower()
    if not name.replace("-", "").replace("_", "").isalnum() or len(name) > 60:
        raise ApplicationError("A lexicon name uses letters, digits, '-' and '_' (at most 60).", field="content")
    if name in available_lexicons():
        raise ApplicationError(f"'{name}' is a built-in lexicon; choose another name.", field="content")
    if sum(len(pair) for pair in lexicon.pairs) > MAX_TERMS:
        raise ApplicationError(f"A lexicon may hold at most {MAX_TERMS} terms.", field="content")
    latest = WorkspaceLexicon.objects.filter(workspace=workspace, name=name).aggregate(v=Max("version"))["v"] or 0
    stored = WorkspaceLexicon.objects.create(
        workspace=workspace,
        name=name,
        version=latest + 1,
        content=content,
        sha256=sha256_hex(canonical_dumps(content)),
        created_by=user,
    )
    event_record(
        action=EventAction.LEXICON_CREATED,
        obj=stored,
        actor=user,
        workspace=workspace,
        request_id=request_id,
        after={"name": name, "version": stored.version, "sha256": stored.sha256, "groups": list(lexicon.groups)},
    )
    return stored


def lexicon_resolve(*, workspace: Workspace, name: str) -> dict:
    """What the engine needs to load lexicon `name`: a built-in name, or a workspace lexicon's stored content.

    ``name`` may pin a version (``"mylist.v2"``); otherwise the latest version is used. Raises ApplicationError
    for unknown names, listing the available ones.
    """
    base, _, version = name.partition(".v")
    if name in available_lexicons() or base in available_lexicons():
        return {"name": name, "source": "builtin"}
    found = WorkspaceLexicon.objects.filter(workspace=workspace, name=base)
    if version.isdigit():
        found = found.filter(version=int(version))
    lexicon = found.order_by("-version").first()
    if lexicon is None:
        names = available_lexicons() + sorted(
            set(WorkspaceLexicon.objects.filter(workspace=workspace).values_list("name", flat=True))
        )
        raise ApplicationError(
            f"Unknown lexicon '{name}'; available: {', '.join(names)}.",
            field="probe_settings",
            extra={"setting": "lexicons"},
        )
    return {
        "name": f"{lexicon.name}.v{lexicon.version}",
        "source": "workspace",
        "sha256": lexicon.sha256,
        "content": lexicon.content,
    }
