"""A repository without the web app: a root with two sites, live catalogue subscribers.

The content service here notifies the real subscribers, so every test sees
the catalogue exactly as a request would leave it.
"""
import pytest
from pyramid import testing
from pyramid.authorization import Authenticated, Everyone

from repository.resources import Root, Site
from repository.services import CatalogSearch, ContentService

#: What the security policy gives these people inside the bmt site.
READER = [Everyone, Authenticated, "user:2", "role:Reader"]
ANONYMOUS = [Everyone]
BMT_LIBRARIAN = [Everyone, Authenticated, "user:7", "group:staff", "role:Librarian"]
#: A librarian of Tuy Hòa looking at Buôn Ma Thuột: staff somewhere, no role here.
OTHER_SITE_LIBRARIAN = [Everyone, Authenticated, "user:8", "group:staff"]


@pytest.fixture
def registry():
    config = testing.setUp()
    config.include("repository.subscribers")
    yield config.registry
    testing.tearDown()


def make_site(root, name, title, code):
    site = Site(title=title, code=code)
    site.state = "published"
    root.add(name, site)
    return site


@pytest.fixture
def root():
    root = Root(title="Thư viện tỉnh Đắk Lắk")
    make_site(root, "bmt", "Cơ sở Buôn Ma Thuột", "BMT")
    make_site(root, "tuy-hoa", "Cơ sở Tuy Hòa", "TH")
    return root


@pytest.fixture
def service(registry):
    return ContentService(registry.notify, actor="7")


@pytest.fixture
def search():
    return CatalogSearch()


@pytest.fixture
def collection(root, service):
    """A published collection ``/bmt/dia-chi``."""
    coll, errors = service.add(root["bmt"], "Collection",
                               {"title": "Tài liệu địa chí"}, name="dia-chi")
    assert not errors
    service.transition(coll, "publish")
    return coll


@pytest.fixture
def add_item(service, collection):
    """Add a DigitalItem (published unless told otherwise) and return it."""
    def add(title, container=None, publish=True, **fields):
        obj, errors = service.add(container or collection, "DigitalItem",
                                  dict(fields, title=title))
        assert not errors, errors
        if publish:
            service.transition(obj, "publish")
        return obj
    return add


def titles(result):
    total, objects = result
    return [o.title for o in objects]
