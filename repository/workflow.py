"""The publication workflow: three states and the transitions between them.

The state lives on the object (``obj.state``); the ACL derived from it is in
:func:`repository.security.state_acl`.  Every transition is recorded in the
object's history so a librarian can see who published what and when.
"""
import dataclasses
import datetime

from pyramid.i18n import TranslationStringFactory

from .security import Permission

_ = TranslationStringFactory("serepok")

PRIVATE, INTERNAL, PUBLISHED = "private", "internal", "published"

STATE_TITLES = {
    PRIVATE: _("Private"),
    INTERNAL: _("Internal"),
    PUBLISHED: _("Published"),
}


@dataclasses.dataclass(frozen=True)
class Transition:
    name: str
    title: object
    sources: tuple
    target: str
    permission: Permission = Permission.PUBLISH


TRANSITIONS = {t.name: t for t in (
    Transition("publish", _("Publish"), (PRIVATE, INTERNAL), PUBLISHED),
    Transition("share_internally", _("Share with staff"), (PRIVATE, PUBLISHED), INTERNAL),
    Transition("retract", _("Make private"), (INTERNAL, PUBLISHED), PRIVATE),
)}


class WorkflowError(ValueError):
    """A transition that does not exist or does not start from the current state."""

    def __init__(self, message, mapping=None):
        super().__init__(message)
        self.message = _(message, mapping=mapping or {})


def permission_for(obj, t):
    """The permission a transition needs on ``obj``.

    A site changes state only by its administrators: a librarian who could
    retract a whole site would hide every collection in it.
    """
    return Permission.MANAGE_SITE if getattr(obj, "type_name", "") == "Site" else t.permission


def available(obj):
    """The transitions that can start from the object's current state."""
    return [t for t in TRANSITIONS.values() if obj.state in t.sources]


def transition(obj, name, actor, comment=""):
    """Move ``obj`` along transition ``name``; record who did it and when.

    Permission is the caller's business (views check ``t.permission`` on the
    object before calling).  Raises :class:`WorkflowError` otherwise.
    """
    t = TRANSITIONS.get(name)
    if t is None:
        raise WorkflowError(_("Unknown transition: ${name}"), {"name": name})
    if obj.state not in t.sources:
        raise WorkflowError(_("Cannot ${name} from the state ${state}."),
                            {"name": name, "state": obj.state})
    previous = obj.state
    obj.state = t.target
    entry = {"transition": name, "from": previous, "to": t.target, "actor": actor,
             "comment": comment,
             "time": datetime.datetime.now(datetime.timezone.utc).isoformat()}
    obj.workflow_history = tuple(getattr(obj, "workflow_history", ())) + (entry,)
    return t
