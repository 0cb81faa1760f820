"""Workspace lexicons: versioned, validated, scoped, used by the text probe."""

import pytest

from audits.models import AuditEvent, WorkspaceLexicon
from audits.services.lexicons import lexicon_resolve
from tests.api_errors import error_detail

LEXICON = {
    "name": "pets",
    "version": "1",
    "licence": "CC0-1.0",
    "source": "written for this test",
    "groups": ["cat_people", "dog_people"],
    "pairs": [["cat", "dog"], ["kitten", "puppy"]],
    "control": {"cat_people": [["cat", "tomcat"]]},
}


def _create(client, workspace, content=LEXICON):
    return client.post("/api/v1/lexicons/", {"workspace": workspace.slug, "content": content}, format="json")


def test_an_auditor_stores_versions_of_a_lexicon_with_their_events(auditor_client, workspace):
    first = _create(auditor_client, workspace)
    second = _create(auditor_client, workspace)

    assert first.status_code == 201, first.json()
    assert (first.json()["version"], second.json()["version"]) == (1, 2)
    assert first.json()["sha256"] == second.json()["sha256"]
    events = AuditEvent.objects.filter(action="lexicon.created").order_by("id")
    assert [e.after["version"] for e in events] == [1, 2]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({**LEXICON, "pairs": [["cat"]]}, "pairs[0]"),
        ({**LEXICON, "groups": ["only"]}, "groups"),
        ({k: v for k, v in LEXICON.items() if k != "licence"}, "licence"),
        ({**LEXICON, "name": "gender"}, "built-in"),
        ({**LEXICON, "pairs": [["cat", "dog"], ["dog", "cat"]]}, "belongs to both"),
    ],
)
def test_invalid_lexicons_are_refused_with_the_reason(auditor_client, workspace, content, message):
    response = _create(auditor_client, workspace, content)

    assert response.status_code == 400
    assert message in error_detail(response)
    assert not WorkspaceLexicon.objects.exists()


def test_outsiders_and_anonymous_users_cannot_see_or_write_them(
    auditor_client, outsider_client, anonymous_client, workspace
):
    created = _create(auditor_client, workspace).json()

    assert outsider_client.get("/api/v1/lexicons/").json()["results"] == []
    assert outsider_client.get(f"/api/v1/lexicons/{created['id']}/").status_code == 404
    refused = _create(outsider_client, workspace)  # same answer as for a workspace that does not exist
    assert refused.status_code == 400 and "not found in your workspaces" in error_detail(refused)
    assert anonymous_client.get("/api/v1/lexicons/").status_code in (401, 403)


def test_the_engine_gets_the_pinned_or_latest_version(auditor_client, workspace):
    _create(auditor_client, workspace)
    _create(auditor_client, workspace, {**LEXICON, "pairs": [["cat", "dog"]]})

    latest = lexicon_resolve(workspace=workspace, name="pets")
    pinned = lexicon_resolve(workspace=workspace, name="pets.v1")

    assert latest["name"] == "pets.v2" and latest["content"]["pairs"] == [["cat", "dog"]]
    assert pinned["name"] == "pets.v1" and len(pinned["content"]["pairs"]) == 2
    assert lexicon_resolve(workspace=workspace, name="gender") == {"name": "gender", "source": "builtin"}
