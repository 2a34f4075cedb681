"""What the desk and circulation API tests share: both sites, staff of each, readers, copies.

Only the two sites are made (not the whole demo), so these tests do not depend on
the demo's media.
"""
import pytest

from ils.readers.models import ReaderStatus

from ..circulation_support import make_reader, make_title
from .api_support import People

STAFF = {
    "reader": ("bandoc", ("Reader",), ()),
    "other-reader": ("bandoc2", ("Reader",), ()),
    "librarian-bmt": ("thuthu.bmt", (), (("bmt", "Librarian"),)),
    "librarian-tuy-hoa": ("thuthu.tuyhoa", (), (("tuy-hoa", "Librarian"),)),
    "siteadmin-bmt": ("quantri.bmt", (), (("bmt", "SiteAdmin"),)),
    "manager": ("quantri", ("Manager",), ()),
}


class World:
    pass


@pytest.fixture
def world(app, portal, make_user):
    from portal.demo import SITES
    from repository.resources import Site
    with portal() as p:
        for name, fields in SITES:
            site = Site(**fields)
            site.state = "published"
            p.root.add(name, site)
    w = World()
    w.people = People(portal, make_user)
    for key, (login, roles, site_roles) in STAFF.items():
        w.people.add(key, login, roles, site_roles)
    with portal() as p:
        db = p.request.dbsession
        w.an = make_reader(db, name="Nguyễn Văn An", user_id=w.people.ids["reader"])
        w.binh = make_reader(db, name="Trần Thị Bình", user_id=w.people.ids["other-reader"])
        w.blocked = make_reader(db, name="H'Linh Mlô", status=ReaderStatus.BLOCKED,
                                block_reason="Chưa trả sách cũ")
        record, items = make_title(db, "Truyện Kiều", copies=[("bmt", "BMT0001"),
                                                              ("bmt", "BMT0002"),
                                                              ("tuy-hoa", "TH0001")])
        w.record_id = record.id
        w.ids = {k: getattr(w, k).id for k in ("an", "binh", "blocked")}
        w.cards = {k: getattr(w, k).card_number for k in ("an", "binh", "blocked")}
    return w
