"""lexicon_create: each upload is the next version of its name, in the trail; a refused lexicon leaves
neither a row nor an event."""

import pytest

from audits.canonical import canonical_dumps, sha256_hex
from audits.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from audits.models import AuditEvent, WorkspaceLexicon
from audits.services.lexicons import lexicon_create
from tests.audits.factories import WorkspaceFactory

LEXICON = {
    "name": "pets",
    "version": "1",
    "licence": "CC0-1.0",
    "source": "written for this test",
    "groups": ["cat_people", "dog_people"],
    "pairs": [["cat", "dog"], ["kitten", "puppy"]],
}


def _state() -> tuple[int, int]:
    return AuditEvent.objects.count(), WorkspaceLexicon.objects.count()


def test_each_upload_is_the_next_version_with_its_event(auditor, workspace):
    first = lexicon_create(user=auditor, workspace=workspace, content=LEXICON)
    second = lexicon_create(user=auditor, workspace=workspace, content=LEXICON, request_id="req-1")

    assert (first.version, second.version) == (1, 2)
    assert first.sha256 == second.sha256 == sha256_hex(canonical_dumps(LEXICON))
    assert (second.name, second.created_by, second.content) == ("pets", auditor, LEXICON)
    event = AuditEvent.objects.get(action="lexicon.created", object_id=str(second.pk))
    assert (event.object_type, event.actor_id, event.workspace_id) == ("WorkspaceLexicon", auditor.pk, workspace.pk)
    assert event.request_id == "req-1"
    groups = ["cat_people", "dog_people"]
    assert event.after == {"name": "pets", "version": 2, "sha256": second.sha256, "groups": groups}


def test_versions_count_per_workspace(auditor, workspace):
    elsewhere = WorkspaceFactory(owner=auditor)
    lexicon_create(user=auditor, workspace=workspace, content=LEXICON)

    other = lexicon_create(user=auditor, workspace=elsewhere, content=LEXICON)

    assert other.version == 1
    assert AuditEvent.objects.get(action="lexicon.created", object_id=str(other.pk)).workspace_id == elsewhere.pk


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({**LEXICON, "pairs": [["cat"]]}, "pairs"),
        ({**LEXICON, "name": "gender"}, "built-in"),
        ({**LEXICON, "name": "no spaces"}, "letters, digits"),
    ],
)
def test_a_refused_lexicon_leaves_no_row_and_no_event(auditor, workspace, content, message):
    before = _state()

    with pytest.raises(ApplicationError, match=message) as error:
        lexicon_create(user=auditor, workspace=workspace, content=content)

    assert error.value.field == "content"
    assert _state() == before


def test_reviewers_and_outsiders_cannot_store_lexicons(reviewer, outsider, workspace):
    before = _state()

    with pytest.raises(PermissionDeniedError):
        lexicon_create(user=reviewer, workspace=workspace, content=LEXICON)
    with pytest.raises(NotFoundError):
        lexicon_create(user=outsider, workspace=workspace, content=LEXICON)

    assert _state() == before
