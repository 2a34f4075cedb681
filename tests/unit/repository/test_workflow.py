"""The publication workflow: states, transitions, history, and the ACL each state gives."""
import pytest
from pyramid.authorization import ACLHelper, Everyone

from repository import workflow
from repository.resources import Collection, DigitalItem, Root
from repository.security import Permission

VIEW = str(Permission.VIEW)


def item_in_portal(state="private"):
    root = Root(title="Thư viện")
    coll = Collection(title="Bộ sưu tập")
    coll.state = "published"
    root.add("c", coll)
    item = DigitalItem(title="Sách")
    item.state = state
    coll.add("i", item)
    return item


def can_view(obj, *principals):
    return bool(ACLHelper().permits(obj, [Everyone, *principals], VIEW))


def test_new_content_starts_private():
    assert DigitalItem(title="Sách").state == "private"


@pytest.mark.parametrize("state, names", [
    ("private", {"publish", "share_internally"}),
    ("internal", {"publish", "retract"}),
    ("published", {"share_internally", "retract"}),
])
def test_available_transitions(state, names):
    assert {t.name for t in workflow.available(item_in_portal(state))} == names


def test_transition_records_who_and_when():
    item = item_in_portal()
    workflow.transition(item, "publish", actor="12", comment="đã duyệt")
    workflow.transition(item, "retract", actor="13")
    assert item.state == "private"
    first, second = item.workflow_history
    assert (first["from"], first["to"], first["actor"], first["comment"]) == (
        "private", "published", "12", "đã duyệt")
    assert (second["transition"], second["actor"]) == ("retract", "13")
    assert first["time"] <= second["time"]


def test_unknown_transition_and_wrong_state_raise():
    item = item_in_portal("published")
    with pytest.raises(workflow.WorkflowError):
        workflow.transition(item, "publish", actor="1")
    with pytest.raises(workflow.WorkflowError) as err:
        workflow.transition(item, "delete-everything", actor="1")
    assert "delete-everything" in err.value.message.interpolate()
    assert item.state == "published" and item.workflow_history == ()


def test_state_decides_who_may_view():
    item = item_in_portal("private")
    assert not can_view(item)
    assert not can_view(item, "group:staff")          # staff of another site
    assert can_view(item, "role:Librarian")           # local role in this site
    workflow.transition(item, "share_internally", actor="1")
    assert not can_view(item, "system.Authenticated", "role:Reader")
    assert can_view(item, "group:staff")
    workflow.transition(item, "publish", actor="1")
    assert can_view(item)


def test_a_private_collection_hides_published_items_inside():
    item = item_in_portal("published")
    item.__parent__.state = "private"
    assert not can_view(item)
    assert can_view(item, "role:SiteAdmin")
