"""JSON representations of repository objects.

Every representation carries ``@id`` (its absolute API address) and ``@type``
(the content type name).  Field values come from the type's schema, so a field
added to a schema shows up in the API (and in the OpenAPI document) by itself.
"""
from repository.interfaces import ICatalogSearch
from repository.resources import Audiobook, Root, find_site
from repository.security import Permission
from repository.workflow import STATE_TITLES, available, permission_for

from ..security import principals_for
from .http import batching, content_url, isoformat, translate

#: Keys of a representation that a client may send back but cannot change.
READ_ONLY = frozenset({
    "@id", "@type", "name", "uid", "state", "state_title", "created", "modified",
    "parent", "items", "items_total", "batching", "tracks", "duration", "cover_url",
    "html_url", "creator", "type_title",
})


def field_value(obj, field):
    value = getattr(obj, field.name, None)
    if field.kind == "list":
        return list(value or ())
    return value


def summary(request, obj):
    """The short form used in listings and search results."""
    return {
        "@id": content_url(request, obj),
        "@type": obj.type_name,
        "name": obj.__name__ or "",
        "title": obj.title,
        "description": getattr(obj, "description", "") or "",
        "state": obj.state,
        "modified": isoformat(getattr(obj, "modified", None)),
    }


def children(request, obj, start, size):
    """``(total, [objects])``: the children of ``obj`` this request may see, by title."""
    if isinstance(obj, Root):
        sites = [s for s in obj.sites() if request.has_permission(str(Permission.VIEW), s)]
        return len(sites), sites[start:start + size]
    site = find_site(obj)
    search = request.find_service(ICatalogSearch)
    return search.search(site, parent=obj.path, principals=principals_for(request, obj),
                         sort="title", start=start, limit=size)


def track(request, book, t):
    return {
        "uid": t.uid,
        "order": t.order,
        "title": t.title,
        "duration": round(t.duration, 3),
        "media_type": t.mimetype,
        "size": t.size,
        "stream_url": request.resource_url(book, "track", t.uid),
    }


def representation(request, obj, b_start=0, b_size=25):
    """The full form of one object: fields, state, dates, parent, children or tracks."""
    data = {
        "@id": content_url(request, obj),
        "@type": obj.type_name,
        "name": obj.__name__ or "",
        "uid": obj.uid,
        "type_title": translate(request, obj.type_title),
    }
    for field in obj.schema:
        data[field.name] = field_value(obj, field)
    parent = obj.__parent__
    data.update({
        "state": obj.state,
        "state_title": translate(request, STATE_TITLES.get(obj.state, obj.state)),
        "created": isoformat(getattr(obj, "created", None)),
        "modified": isoformat(getattr(obj, "modified", None)),
        "parent": None if parent is None else {
            "@id": content_url(request, parent), "@type": parent.type_name,
            "title": parent.title},
        "html_url": request.resource_url(obj),
    })
    if hasattr(type(obj), "cover"):
        data["cover_url"] = (request.resource_url(obj, "cover")
                             if getattr(obj, "cover", None) is not None else None)
    if isinstance(obj, Audiobook):
        data["duration"] = round(obj.duration, 3)
        data["tracks"] = [track(request, obj, t) for t in obj.tracks]
    if obj.is_container:
        total, objects = children(request, obj, b_start, b_size)
        data["items_total"] = total
        data["items"] = [summary(request, o) for o in objects]
        data["batching"] = batching(request, total, b_start, b_size, base=data["@id"])
    return data


def workflow(request, obj, actor_names):
    """State, the transitions this request may run now, and the history."""
    return {
        "@id": content_url(request, obj, "@workflow"),
        "@type": "Workflow",
        "object": content_url(request, obj),
        "state": obj.state,
        "state_title": translate(request, STATE_TITLES.get(obj.state, obj.state)),
        "transitions": [
            {"name": t.name, "title": translate(request, t.title), "target": t.target,
             "@id": content_url(request, obj, "@transition")}
            for t in available(obj)
             if request.has_permission(str(permission_for(obj, t)), obj)],
        "history": [
            {"transition": h.get("transition"), "from": h.get("from"), "to": h.get("to"),
             "actor": h.get("actor") or None,
             "actor_name": actor_names.get(h.get("actor") or "", None),
             "comment": h.get("comment", ""), "time": h.get("time")}
            for h in getattr(obj, "workflow_history", ())],
    }
