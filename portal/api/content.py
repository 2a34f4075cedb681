"""Repository content over JSON: read, create, update, delete, move, publish.

The route ``/api/v1/content*traverse`` walks the repository from its root, so
the context of each view is the object itself and permissions are checked by
the view configuration against the object's ACL (its workflow state and the
local roles of its site).  Changes go through the repository's
``IContentService``, whose events keep the site catalogue current.
"""
from pyramid.httpexceptions import HTTPForbidden, HTTPNoContent, HTTPNotFound
from pyramid.i18n import TranslationStringFactory
from pyramid.traversal import find_resource
from pyramid.view import view_config

from ils.accounts.services import IAccountService
from repository.interfaces import IContentService
from repository.resources import CONTENT_TYPES, Content, Root, Site, find_site
from repository.schemas import validate, validate_name
from repository.security import Permission
from repository.services import ContentError
from repository.workflow import TRANSITIONS, permission_for

from .http import (CONTENT_ROUTE, ApiError, batch_params, content_url, invalid, json_body,
                   limit)
from .representations import READ_ONLY, representation, workflow

_ = TranslationStringFactory("serepok")

#: Types the API never creates: sites are set up by a manager from the command line.
NOT_CREATABLE = frozenset({"Root", "Site"})
MAX_COMMENT = 1000


def no_subpath(request):
    if request.subpath:
        raise HTTPNotFound()


def type_errors(schema, data):
    """Per-field messages for keys a schema does not know or values of the wrong JSON type."""
    known = {f.name: f for f in schema}
    errors = {}
    for key, value in data.items():
        field = known.get(key)
        if field is None:
            if key not in READ_ONLY:
                errors[key] = _("Unknown field.")
            continue
        if value is None:
            continue
        if field.kind == "list":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                errors[key] = _("Must be a list of texts.")
        elif field.kind in ("int", "year"):
            if isinstance(value, bool) or not isinstance(value, (int, str)):
                errors[key] = _("Must be a whole number.")
        elif not isinstance(value, str):
            errors[key] = _("Must be text.")
    return errors


def field_data(schema, data, partial):
    """The schema fields of ``data``, or a ValidationError naming every wrong field."""
    values = {f.name: data[f.name] for f in schema if f.name in data}
    wrong = type_errors(schema, data)
    if wrong:
        _clean, errors = validate(schema, {k: v for k, v in values.items() if k not in wrong},
                                  partial=partial)
        errors.update(wrong)
        raise invalid(errors)
    return values


def content_error(exc, field=None):
    """A ContentError from the service as the matching API error."""
    if exc.status == 403:
        return ApiError(403, "Forbidden", exc.message)
    if exc.status == 409:
        return ApiError(409, "Conflict", exc.message)
    return invalid({field: exc.message} if field else {}, exc.message)


@view_config(route_name=CONTENT_ROUTE, context=Content, request_method="GET", renderer="json",
             permission=Permission.VIEW)
def read(context, request):
    """One object; a container lists the children this request may see, in batches."""
    b_start, b_size = batch_params(request)
    return representation(request, context, b_start, b_size)


@view_config(route_name=CONTENT_ROUTE, context=Content, request_method="POST", renderer="json",
             permission=Permission.ADD)
def create(context, request):
    """Add an object of ``@type`` inside this container: 201 and its address in Location."""
    if not context.is_container:
        raise ApiError(405, "MethodNotAllowed",
                       _("Only a site or a collection holds new content."),
                       headers={"Allow": "GET, PATCH, DELETE"})
    limit(request, "api_write")
    data = json_body(request)
    type_name = data.get("@type")
    if not isinstance(type_name, str) or not type_name:
        raise invalid({"@type": _("Say which type to create, for example DigitalItem.")})
    cls = CONTENT_TYPES.get(type_name)
    if cls is None or type_name in NOT_CREATABLE:
        raise invalid({"@type": _("Unknown content type: ${type}.", mapping={"type": type_name})})
    if not context.can_hold(type_name):
        raise invalid({"@type": _("A ${type} cannot be added here.",
                                  mapping={"type": type_name})})
    name = data.get("name")
    if name is not None:
        error = _("Must be text.") if not isinstance(name, str) else validate_name(name)
        if error:
            raise invalid({"name": error})
        if name in context:
            raise ApiError(409, "Conflict", _("This name is already used here."),
                           {"name": _("This name is already used here.")})
    values = field_data(cls.schema, data, partial=False)
    try:
        obj, errors = request.find_service(IContentService).add(context, type_name, values,
                                                                name=name or None)
    except ContentError as exc:
        raise content_error(exc, "@type")
    if errors:
        raise invalid(errors)
    request.response.status = 201
    request.response.location = content_url(request, obj)
    return representation(request, obj)


@view_config(route_name=CONTENT_ROUTE, context=Content, request_method="PATCH",
             renderer="json", permission=Permission.EDIT)
def update(context, request):
    """Change the fields sent; fields not sent stay as they are."""
    if isinstance(context, Site) and not request.has_permission(str(Permission.MANAGE_SITE)):
        raise HTTPForbidden()
    limit(request, "api_write")
    data = json_body(request)
    values = field_data(context.schema, data, partial=True)
    errors = request.find_service(IContentService).edit(context, values, partial=True)
    if errors:
        raise invalid(errors)
    return representation(request, context)


@view_config(route_name=CONTENT_ROUTE, context=Content, request_method="DELETE",
             permission=Permission.DELETE)
def delete(context, request):
    """Remove the object and everything below it: 204."""
    limit(request, "api_write")
    try:
        request.find_service(IContentService).delete(context)
    except ContentError as exc:
        raise content_error(exc)
    return HTTPNoContent()


def resolve(request, target):
    """The object at a repository path or API address, if this request may see it."""
    prefix = request.route_url(CONTENT_ROUTE, traverse="")
    if target.startswith(prefix):
        target = target[len(prefix):]
    if not target.startswith("/"):
        target = "/" + target
    try:
        obj = find_resource(request.root, target.rstrip("/") or "/")
    except (KeyError, UnicodeError):
        return None
    if not isinstance(obj, Content) or not request.has_permission(str(Permission.VIEW), obj):
        return None
    return obj


@view_config(route_name=CONTENT_ROUTE, context=Content, name="@move", request_method="POST",
             renderer="json", permission=Permission.MOVE)
def move(context, request):
    """Move into another container of the same site, optionally under a new name."""
    no_subpath(request)
    limit(request, "api_write")
    data = json_body(request)
    unknown = {k: _("Unknown field.") for k in data if k not in ("target", "name")}
    if unknown:
        raise invalid(unknown)
    target, name = data.get("target"), data.get("name")
    if not isinstance(target, str) or not target.strip():
        raise invalid({"target": _("Say where to move it: the path of a collection, "
                                   "for example /bmt/dia-chi.")})
    if name is not None:
        error = _("Must be text.") if not isinstance(name, str) else validate_name(name)
        if error:
            raise invalid({"name": error})
    container = resolve(request, target.strip())
    if container is None or not container.is_container:
        raise invalid({"target": _("No collection exists at this path.")})
    if find_site(container) is not find_site(context):
        raise ApiError(403, "Forbidden", _("Content can only be moved within its own site."))
    if not request.has_permission(str(Permission.ADD), container):
        raise ApiError(403, "Forbidden", _("You are not allowed to add content there."))
    try:
        request.find_service(IContentService).move(context, container, name or None)
    except ContentError as exc:
        raise content_error(exc, "target")
    return representation(request, context)


@view_config(route_name=CONTENT_ROUTE, context=Content, name="@transition",
             request_method="POST", renderer="json", permission=Permission.PUBLISH)
def transition(context, request):
    """Run a workflow transition (publish, share_internally, retract)."""
    no_subpath(request)
    limit(request, "api_write")
    data = json_body(request)
    unknown = {k: _("Unknown field.") for k in data if k not in ("transition", "comment")}
    name, comment = data.get("transition"), data.get("comment", "")
    if not isinstance(name, str) or name not in TRANSITIONS:
        unknown["transition"] = _("Unknown transition. Known: ${names}.",
                                  mapping={"names": ", ".join(TRANSITIONS)})
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
        unknown["comment"] = _("At most ${n} characters.", mapping={"n": MAX_COMMENT})
    if unknown:
        raise invalid(unknown)
    if not request.has_permission(str(permission_for(context, TRANSITIONS[name])), context):
        raise HTTPForbidden()
    try:
        request.find_service(IContentService).transition(context, name, comment.strip())
    except ContentError as exc:
        raise content_error(exc, "transition")
    return representation(request, context)


@view_config(route_name=CONTENT_ROUTE, context=Content, name="@workflow", request_method="GET",
             renderer="json", permission=Permission.STAFF)
def workflow_view(context, request):
    """The state, the transitions this user may run, and who did what when."""
    no_subpath(request)
    if isinstance(context, Root):
        raise HTTPNotFound()
    accounts = request.find_service(IAccountService)
    names = {}
    for entry in getattr(context, "workflow_history", ()):
        actor = entry.get("actor") or ""
        if actor and actor not in names:
            user = accounts.get(actor)
            names[actor] = user.display_name if user is not None else None
    return workflow(request, context, names)
