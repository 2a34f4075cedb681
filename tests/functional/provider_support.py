"""A small union catalogue for the OAI-PMH and SRU tests (functional and peers).

``union_catalogue`` builds it the way a library does: the demo sites (their
published digital items and audiobooks), then MARC files of Buôn Ma Thuột
(ISO 2709, copies in 952), Tuy Hòa (MARCXML, 852) and the commune library of
Ea Kao imported through the catalogue importer; ``IUnionCatalogue.rebuild``
merges them (Ea Kao's coffee book shares its ISBN with Buôn Ma Thuột's) and
``reindex`` fills the search index. Then one Tuy Hòa record is deleted from
the catalogue (its union record stays, flagged deleted), and the datestamps
are spread out so ``from``/``until`` have something to tell apart: records
only in ``site:bmt`` are dated 2024-01-15 10:00:00Z, only in ``site:tuy-hoa``
2025-06-01 08:30:00Z, the rest keep the time of the test.
"""
import datetime
import re
from dataclasses import dataclass, field

import pytest
from lxml import etree
from sqlalchemy import select, update

from tests.fixtures.marc.make_fixtures import KOHA_BMT, TUY_HOA, book, iso2709, marcxml

COMMUNE = "xa-ea-kao"
COMMUNE_NAME = "Thư viện xã Ea Kao"
COMMUNE_BOOKS = [
    book("eakao-01", "Cà phê Buôn Ma Thuột", "kỹ thuật trồng và chăm sóc", author="Lê Đức Dũng",
         year=2021, isbns=["978-604-0-00001-9"], place="Ea Kao",
         copies=[{"o": "633.73 LE-D", "p": "EK00000001"}]),
    book("eakao-02", "Truyện cổ Ê Đê", author="Y Khem", year=2010, place="Ea Kao",
         subjects=["Truyện cổ -- Đắk Lắk"], copies=[{"o": "398.2 Y-K", "p": "EK00000002"}]),
]
DELETED = "th-0003"          # Ghềnh Đá Đĩa: removed from Tuy Hòa's catalogue
BMT_DATE = datetime.datetime(2024, 1, 15, 10, 0, 0, tzinfo=datetime.timezone.utc)
TUY_HOA_DATE = datetime.datetime(2025, 6, 1, 8, 30, 0, tzinfo=datetime.timezone.utc)
REPOSITORY_ID = "serepok.local"     # from serepok.base_url = http://localhost
OAI = "http://www.openarchives.org/OAI/2.0/"
NS = {"o": OAI, "dc": "http://purl.org/dc/elements/1.1/",
      "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
      "marc": "http://www.loc.gov/MARC21/slim",
      "sru": "http://docs.oasis-open.org/ns/search-ws/sruResponse",
      "diag": "http://docs.oasis-open.org/ns/search-ws/diagnostic",
      "zs": "http://www.loc.gov/zing/srw/",
      "zd": "http://www.loc.gov/zing/srw/diagnostic/",
      "zr": "http://explain.z3950.org/dtd/2.0/",
      "srw_dc": "info:srw/schema/1/dc-schema"}


@dataclass
class UnionFixture:
    by_control_number: dict            # "bmt-0001" -> union id
    sets: dict                         # union id -> [set spec]
    deleted: str                       # union id of the deleted record
    live: set = field(default_factory=set)
    all: set = field(default_factory=set)

    def ids_in(self, spec):
        """Union ids (live and deleted) in a set, hierarchically."""
        return {u for u, specs in self.sets.items()
                if any(s == spec or s.startswith(spec + ":") for s in specs)}

    def oai_id(self, control_number):
        return f"oai:{REPOSITORY_ID}:{self.by_control_number[control_number]}"


def build_union_catalogue(app, portal):
    from federation.models import UnionRecord, UnionSet
    from federation.services import IUnionCatalogue
    from ils.catalogue.models import BibRecord, Item
    from ils.catalogue.services import ICatalogueService

    pipeline = app.registry["federation.union_pipeline"]
    with portal() as p:
        from ils.libraries.services import ILibraryDirectory
        _library, errors = p.request.find_service(ILibraryDirectory).add({
            "code": COMMUNE, "name": COMMUNE_NAME, "unit_type": "xa", "unit_name": "Ea Kao",
            "province": "Đắk Lắk", "active": "1"})
        assert not errors, errors
        catalogue = p.request.find_service(ICatalogueService)
        for data, library, name in ((iso2709(KOHA_BMT), "bmt", "koha-bmt.mrc"),
                                    (marcxml(TUY_HOA), "tuy-hoa", "tuy-hoa.xml"),
                                    (iso2709(COMMUNE_BOOKS), COMMUNE, "ea-kao.mrc")):
            report = catalogue.import_marc(data, library, name=name)
            assert not report.rejected, report.rejected
    pipeline.wait(60)
    with portal() as p:
        p.request.find_service(IUnionCatalogue).rebuild(root=p.root,
                                                        base_url="http://localhost")
    with portal() as p:
        p.request.find_service(IUnionCatalogue).reindex()
    with portal() as p:
        union = p.request.find_service(IUnionCatalogue)
        db = p.request.dbsession
        by_number = {number: union.union_id_of(f"ils:{bib_id}")
                     for bib_id, number in db.execute(select(BibRecord.id,
                                                             BibRecord.control_number))}
        doomed = db.scalars(select(BibRecord).where(BibRecord.control_number == DELETED)).one()
        for item in db.scalars(select(Item).where(Item.record_id == doomed.id)):
            db.delete(item)
        db.flush()
        db.delete(doomed)
    pipeline.wait(60)
    with portal() as p:
        db = p.request.dbsession
        sets = {}
        for union_id, spec in db.execute(select(UnionSet.union_id, UnionSet.spec)):
            sets.setdefault(union_id, []).append(spec)
        rows = db.execute(select(UnionRecord.id, UnionRecord.deleted)).all()
        for union_id, _deleted in rows:
            specs = sets.setdefault(union_id, [])
            stamp = (BMT_DATE if specs == ["site:bmt"] else
                     TUY_HOA_DATE if specs == ["site:tuy-hoa"] and union_id != by_number[DELETED]
                     else None)
            if stamp is not None:
                db.execute(update(UnionRecord).where(UnionRecord.id == union_id)
                           .values(datestamp=stamp))
    deleted = by_number[DELETED]
    fixture = UnionFixture(by_number, sets, deleted,
                           live={u for u, d in rows if not d}, all={u for u, _d in rows})
    assert deleted in fixture.all and deleted not in fixture.live, "the deletion was not seen"
    return fixture


@pytest.fixture
def union_catalogue(demo, portal):
    return build_union_catalogue(demo, portal)


def xml(response):
    assert response.status_int == 200, response.status
    return etree.fromstring(response.body)


def texts(root, path):
    return [node.text for node in root.xpath(path, namespaces=NS)]


def union_id_of(oai_identifier):
    match = re.fullmatch(rf"oai:{re.escape(REPOSITORY_ID)}:(.+)", oai_identifier)
    assert match, oai_identifier
    return match.group(1)


__all__ = ["COMMUNE", "COMMUNE_NAME", "COMMUNE_BOOKS", "DELETED", "BMT_DATE", "TUY_HOA_DATE", "NS",
           "REPOSITORY_ID", "UnionFixture", "build_union_catalogue", "union_catalogue", "xml",
           "texts", "union_id_of"]
