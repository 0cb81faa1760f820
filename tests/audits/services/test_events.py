"""event_record: the trail's vocabulary is closed (EventAction, EventObjectType) and every entry is chained."""

import pytest

from audits.choices import EventAction, EventObjectType
from audits.constants import GENESIS_HASH
from audits.models import AuditEvent, ProtectedAttribute
from audits.services.events import OBJECT_TYPES, event_hash, event_record


def test_an_event_is_chained_to_the_previous_one_and_names_its_object(auditor, workspace):
    before = AuditEvent.objects.order_by("-id").first()

    event = event_record(action=EventAction.WORKSPACE_CREATED, obj=workspace, actor=auditor, workspace=workspace)

    assert (event.action, event.object_type, event.object_id) == ("workspace.created", "Workspace", str(workspace.pk))
    assert event.prev_hash == (before.hash if before else GENESIS_HASH)
    assert event.hash == event_hash(event)


def test_an_action_outside_the_vocabulary_is_refused(workspace):
    count = AuditEvent.objects.count()

    with pytest.raises(ValueError, match="not a trail action"):
        event_record(action="workspace.renamed", obj=workspace, workspace=workspace)

    assert AuditEvent.objects.count() == count


def test_an_object_the_trail_does_not_name_is_refused(workspace):
    with pytest.raises(ValueError, match="names no object of type ProtectedAttribute"):
        event_record(action=EventAction.DATASET_CREATED, obj=ProtectedAttribute(pk=1), workspace=workspace)


def test_every_object_label_is_mapped_once():
    assert sorted(OBJECT_TYPES.values()) == sorted(EventObjectType)
    assert len(set(EventAction.values)) == len(EventAction.values)
