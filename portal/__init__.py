"""The Pyramid application and composition root of Serepok.

``main`` is a short list: settings, then each package's ``includeme`` in
dependency order, then one scan.  Anything a deployment may override lives
in an ``includeme``, never here.
"""
import os
import warnings

# pyramid 2.1 imports pkg_resources; the warning says nothing a librarian can act on.
warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)

DEFAULTS = {
    "tm.manager_hook": "pyramid_tm.explicit_manager",
    # a 4xx or 5xx answer commits nothing, even if the view changed something first
    "tm.commit_veto": "pyramid_tm.default_commit_veto",
    "retry.attempts": "3",
    "jinja2.directories": "portal:templates",
    "jinja2.i18n.domain": "serepok",
    "jinja2.filters": "\n".join([
        "model_url = pyramid_jinja2.filters:model_url_filter",
        "route_url = pyramid_jinja2.filters:route_url_filter",
        "static_url = pyramid_jinja2.filters:static_url_filter",
    ]),
    "pyramid.default_locale_name": "vi",
}


def make_config(settings):
    """Build the Configurator; tests and ``main`` share it."""
    # imported here, not with the package: the worker processes of ``serepok import
    # marc`` start from ``portal.cli`` and need none of Pyramid
    from pyramid.config import Configurator
    merged = dict(DEFAULTS)
    merged.update(settings or {})
    # `make run` points the portal and the worker at one ZEO server (scripts/run-portal)
    if os.environ.get("SEREPOK_ZODB_URI"):
        merged["zodbconn.uri"] = os.environ["SEREPOK_ZODB_URI"]
    merged.setdefault("serepok.var", os.path.abspath("var"))
    config = Configurator(settings=merged)
    config.include("pyramid_tm")
    config.include("pyramid_retry")
    config.include("pyramid_services")
    config.include("pyramid_jinja2")
    config.include(".i18n")
    config.include("ils")
    config.include("repository")
    config.include("iiif")
    config.include("federation")
    config.include("assistant")
    config.include(".security")
    config.include(".ratelimit")
    config.include(".views")
    config.include(".api")
    config.scan(ignore=[".tests"])
    return config


def main(global_config, **settings):
    """The WSGI application (paste entry point ``main``)."""
    return make_config(settings).make_wsgi_app()
