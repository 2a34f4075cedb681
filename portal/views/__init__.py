"""The portal's HTML views: routes, static assets, the shared page layout."""
import hashlib
import os
from urllib.parse import parse_qsl, unquote_to_bytes, urlencode

from pyramid.csrf import get_csrf_token
from pyramid.events import BeforeRender, NewRequest
from pyramid.i18n import TranslationString
from pyramid.location import lineage
from pyramid.static import QueryStringConstantCacheBuster

from repository.resources import CONTENT_TYPES, Site, find_site
from repository.security import Permission
from repository.workflow import STATE_TITLES, available, permission_for

from ..i18n import LANGUAGES, translate

STATIC_MAX_AGE = 7 * 24 * 3600


class Layout:
    """What every page template needs, computed lazily from the request."""

    def __init__(self, request, context):
        self.request = request
        self.context = context
        self.Permission = Permission

    @property
    def user(self):
        return self.request.identity

    @property
    def lang(self):
        return self.request.locale_name

    languages = LANGUAGES

    @property
    def root(self):
        return self.request.root

    @property
    def sites(self):
        return self.request.root.sites()

    @property
    def site(self):
        return find_site(self.context) if self.context is not None else None

    def can(self, permission, context=None):
        return bool(self.request.has_permission(str(permission), context or self.context))

    @property
    def is_staff(self):
        return self.request.identity is not None and any(
            self.can(Permission.STAFF, s) for s in self.sites)

    @property
    def manages_a_site(self):
        """Managers and site administrators (who run the union catalogue's sources)."""
        manage = Permission.MANAGE_SITE
        return self.can(manage, self.root) or any(self.can(manage, s) for s in self.sites)

    @property
    def csrf_token(self):
        return get_csrf_token(self.request)

    def url(self, obj, *elements, **kw):
        return self.request.resource_url(obj, *elements, **kw)

    def t(self, message):
        if isinstance(message, TranslationString):
            return translate(self.request, message)
        return message

    def state_title(self, state):
        return self.t(STATE_TITLES.get(state, state))

    def type_title(self, obj):
        return self.t(obj.type_title)

    @property
    def breadcrumbs(self):
        if self.context is None or not hasattr(self.context, "type_name"):
            return []
        return list(reversed(list(lineage(self.context))))

    def static(self, path):
        return self.request.static_url("portal:static/" + path)

    def lang_url(self, code):
        return self.request.route_url("lang", code=code,
                                      _query={"came_from": self.request.path_qs})

    def addable(self, obj):
        """(type name, translated title) of what can be added inside ``obj``."""
        return [(name, self.t(cls.type_title)) for name, cls in CONTENT_TYPES.items()
                if obj.is_container and obj.can_hold(name)]

    def transitions(self, obj):
        return [t for t in available(obj)
                if self.request.has_permission(str(permission_for(obj, t)), obj)]

    def page_url(self, page):
        params = dict(self.request.GET)
        params["page"] = str(page)
        return self.request.path_url + "?" + urlencode(params)

    @property
    def is_site(self):
        return isinstance(self.context, Site)


def add_layout(event):
    request = event.get("request")
    if request is not None and "layout" not in event:
        event["layout"] = Layout(request, event.get("context", getattr(request, "context", None)))


def mend_query_string(event):
    """An address whose parameters are not UTF-8 (``?q=%ff``) would make every read
    of ``request.params`` fail, the error page's included; read such bytes as
    replacement characters instead."""
    environ = event.request.environ
    raw = environ.get("QUERY_STRING", "").encode("latin-1", "replace")
    try:
        unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        pairs = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True,
                          errors="replace")
        environ["QUERY_STRING"] = urlencode(pairs)


def static_fingerprint(directory=os.path.join(os.path.dirname(__file__), "..", "static")):
    """A short hash of the static files: it changes whenever one of them does."""
    digest = hashlib.sha256()
    for base, _dirs, files in sorted(os.walk(directory)):
        for name in sorted(files):
            with open(os.path.join(base, name), "rb") as f:
                digest.update(name.encode() + f.read())
    return digest.hexdigest()[:12]


def includeme(config):
    # Long cache lifetimes are safe because every URL carries the files' fingerprint.
    config.add_static_view("static", "portal:static", cache_max_age=STATIC_MAX_AGE)
    config.add_cache_buster("portal:static/", QueryStringConstantCacheBuster(static_fingerprint()))
    config.add_route("login", "/login")
    config.add_route("logout", "/logout")
    config.add_route("password", "/password")
    config.add_route("workspace", "/workspace")
    config.add_route("healthz", "/healthz")
    config.include(".catalogue")
    config.include(".sources")
    config.include(".catalogue_staff")
    config.include(".sip2_staff")        # self-check terminals (SIP2)
    config.include(".registration")      # readers: registration, account, staff screens
    config.include(".jobs_staff")        # background jobs: /staff/jobs
    config.add_subscriber(add_layout, BeforeRender)
    config.add_subscriber(mend_query_string, NewRequest)
