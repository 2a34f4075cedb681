"""The staff workspace: add, edit, move, delete and publish content of one's own site."""
from pyramid.httpexceptions import HTTPBadRequest, HTTPForbidden, HTTPSeeOther
from pyramid.i18n import TranslationStringFactory
from pyramid.view import view_config

from repository.interfaces import ICatalogSearch, IContentService
from repository.resources import CONTENT_TYPES, Audiobook, Content, Container, DigitalItem, Site
from repository.security import Permission, Role
from repository.services import ContentError
from repository.uploads import AUDIO, IMAGES, UploadError, audio_duration, read_upload
from repository.workflow import TRANSITIONS, permission_for

from ..i18n import translate

from ..security import principals_for

_ = TranslationStringFactory("serepok")

MB = 1 << 20


def flash(request, message, kind="info"):
    request.session.flash({"kind": kind, "text": translate(request, message)})


def redirect(request, obj, *elements):
    return HTTPSeeOther(location=request.resource_url(obj, *elements))


def max_bytes(request, kind):
    default = {"audio": 300 * MB, "image": 10 * MB}[kind]
    return int(request.registry.settings.get(f"serepok.upload.max_{kind}_bytes", default))


@view_config(route_name="workspace", renderer="workspace.jinja2", permission=Permission.VIEW)
def workspace(request):
    """Each site the user works in, with its drafts and recent changes."""
    search = request.find_service(ICatalogSearch)
    sites = []
    for site in request.root.sites():
        if not request.has_permission(str(Permission.STAFF), site):
            continue
        principals = principals_for(request, site)
        _n, drafts = search.search(site, state="private", principals=principals,
                                   sort="modified", limit=20)
        _n, recent = search.search(site, principals=principals, sort="modified", limit=10)
        sites.append({"site": site, "drafts": drafts, "recent": recent})
    if not sites:
        raise HTTPForbidden()
    return {"sites": sites}


@view_config(context=Container, name="add", renderer="form.jinja2", permission=Permission.ADD)
def add_content(context, request):
    type_name = request.params.get("type", "")
    cls = CONTENT_TYPES.get(type_name)
    if cls is None or not context.can_hold(type_name):
        raise HTTPBadRequest(_("A ${type} cannot be added here.",
                               mapping={"type": cls.type_title if cls else type_name}))
    values, errors = {}, {}
    if request.method == "POST":
        values = {f.name: request.POST.get(f.name, "") for f in cls.schema}
        service = request.find_service(IContentService)
        obj, errors = service.add(context, type_name, values)
        if not errors:
            flash(request, _("Created. It stays private until you publish it."))
            return redirect(request, obj)
        request.response.status = 400
    return {"schema": cls.schema, "values": values, "errors": errors, "type_name": type_name,
            "heading": cls.type_title, "action": request.resource_url(context, "add",
                                                                      query={"type": type_name})}


@view_config(context=Content, name="edit", renderer="form.jinja2", permission=Permission.EDIT)
def edit_content(context, request):
    if isinstance(context, Site) and not request.has_permission(str(Permission.MANAGE_SITE)):
        raise HTTPForbidden()
    values, errors = context.field_values(), {}
    if request.method == "POST":
        values = {f.name: request.POST.get(f.name, "") for f in context.schema}
        errors = request.find_service(IContentService).edit(context, values)
        if not errors:
            flash(request, _("Saved."))
            return redirect(request, context)
        request.response.status = 400
    return {"schema": context.schema, "values": values, "errors": errors,
            "type_name": context.type_name, "heading": context.title,
            "action": request.resource_url(context, "edit")}


def move_targets(request, obj):
    """Containers of the same site that can hold ``obj`` (not itself or below it)."""
    site = request.root[obj.path.split("/")[1]]
    targets = [site] if site.can_hold(obj.type_name) else []
    search = request.find_service(ICatalogSearch)
    _n, collections = search.search(site, type_name="Collection",
                                    principals=principals_for(request, site), limit=10000)
    for c in collections:
        if c.can_hold(obj.type_name) and not (c.path + "/").startswith(obj.path + "/"):
            targets.append(c)
    return targets


@view_config(context=Content, name="move", renderer="move.jinja2", permission=Permission.MOVE)
def move_content(context, request):
    targets = [t for t in move_targets(request, context)
               if request.has_permission(str(Permission.ADD), t)]
    error = None
    if request.method == "POST":
        by_path = {t.path: t for t in targets}
        target = by_path.get(request.POST.get("target", ""))
        if target is None:
            error = _("Choose where to move it.")
        else:
            try:
                request.find_service(IContentService).move(context, target)
            except ContentError as exc:
                error = exc.message
            else:
                flash(request, _("Moved."))
                return redirect(request, context)
        request.response.status = 400
    return {"targets": targets, "error": error}


@view_config(context=Content, name="delete", renderer="delete.jinja2",
             permission=Permission.DELETE)
def delete_content(context, request):
    error = None
    if request.method == "POST":
        parent = context.__parent__
        try:
            request.find_service(IContentService).delete(context)
        except ContentError as exc:
            error = exc.message
            request.response.status = exc.status
        else:
            flash(request, _("Deleted."))
            return redirect(request, parent)
    return {"error": error}


@view_config(context=Content, name="transition", request_method="POST",
             permission=Permission.PUBLISH)
def transition_content(context, request):
    name = request.POST.get("transition", "")
    if name not in TRANSITIONS:
        raise HTTPBadRequest()
    if not request.has_permission(str(permission_for(context, TRANSITIONS[name])), context):
        raise HTTPForbidden()
    try:
        t = request.find_service(IContentService).transition(context, name,
                                                             request.POST.get("comment", ""))
    except ContentError as exc:
        flash(request, exc.message, "error")
    else:
        flash(request, _("Done: ${name}.", mapping={"name": t.title}))
    return redirect(request, context)


def upload_form(request, allowed, kind, store):
    """The POST half of an upload page: read the file within limits, then ``store``.

    ``store(data, media_type, filename)`` saves it and returns the redirect;
    a refused file re-renders the page with the reason and status 400.
    """
    if request.method != "POST":
        return {"error": None}
    try:
        data, media_type, filename = read_upload(request.POST.get("file"), allowed,
                                                 max_bytes(request, kind))
    except UploadError as exc:
        request.response.status = 400
        return {"error": exc.message}
    return store(data, media_type, filename)


@view_config(context=Audiobook, name="tracks", renderer="tracks.jinja2",
             permission=Permission.EDIT)
def manage_tracks(context, request):
    def store(data, media_type, filename):
        title = request.POST.get("title", "").strip()[:200] or filename or "Chương"
        context.add_track(title, data, media_type, audio_duration(data))
        request.find_service(IContentService).edit(context, {}, partial=True)
        flash(request, _("Chapter added."))
        return redirect(request, context, "tracks")
    return upload_form(request, AUDIO, "audio", store)


@view_config(context=DigitalItem, name="set-cover", renderer="cover.jinja2",
             permission=Permission.EDIT)
@view_config(context=Audiobook, name="set-cover", renderer="cover.jinja2",
             permission=Permission.EDIT)
def set_cover(context, request):
    from ZODB.blob import Blob

    def store(data, media_type, filename):
        context.cover = Blob()
        with context.cover.open("w") as f:
            f.write(data)
        context.cover_type = media_type
        flash(request, _("Cover saved."))
        return redirect(request, context)
    return upload_form(request, IMAGES, "image", store)


@view_config(context=Site, name="staff", renderer="staff.jinja2",
             permission=Permission.MANAGE_SITE)
def site_staff(context, request):
    """Grant and revoke the local roles of this site (site administrators)."""
    from ils.accounts.services import IAccountService
    accounts = request.find_service(IAccountService)
    error = None
    if request.method == "POST":
        login = request.POST.get("login", "").strip()
        role = request.POST.get("role", "")
        action = request.POST.get("action", "grant")
        user = accounts.by_login(login)
        if role not in (Role.LIBRARIAN.value, Role.SITE_ADMIN.value):
            error = _("Choose a role.")
        elif user is None:
            error = _("No account has this login name.")
        else:
            (context.grant if action == "grant" else context.revoke)(user.id, role)
            flash(request, _("Saved."))
            return redirect(request, context, "staff")
        request.response.status = 400
    staff = []
    for user_id, roles in sorted(context.local_roles.items()):
        user = accounts.get(user_id)
        if user is not None:
            staff.append((user, sorted(roles)))
    return {"staff": staff, "error": error, "roles": [Role.LIBRARIAN, Role.SITE_ADMIN]}
