"""What the union-catalogue page and API tests share: a small, realistic catalogue.

``catalogue`` puts the records below into the app's search index through the
``ISearchIndex`` service (the way the pipeline does after a commit), on top of
the demo sites, so library codes ``bmt`` and ``tuy-hoa`` have their real names.
One record (``lstn``) comes from a MARC record of the library's own catalogue.
"""
import dataclasses
import re

import pytest

from federation.interfaces import ISearchIndex
from federation.records import Holding, Record

HAS_PROVENANCE = "provenance" in {f.name for f in dataclasses.fields(Record)}


def H(library, items=1, available=0, call_number="", location="", name=""):
    return Holding(library=library, library_name=name, items=items, available=available,
                   call_number=call_number, location=location)


EA_KAO = "Thư viện xã Ea Kao"

RECORDS = [
    Record(id="lstn", title="Lịch sử Tây Nguyên", year=2001, authors=["Nguyễn Văn Giàu"],
           subjects=["Lịch sử", "Tây Nguyên"], publisher="Nhà xuất bản Chính trị Quốc gia",
           language="vie", isbns=["978-604-0-00001-9"], collections=["Địa chí Đắk Lắk"],
           description="Tổng quan lịch sử vùng đất Tây Nguyên từ thời tiền sử đến nay.",
           holdings=[H("bmt", 2, 1, "959.76 L302S", "Kho đọc tầng 2"),
                     H("tuy-hoa", 1, 0, "959.76 L302S"),
                     H("xa-ea-kao", 1, 1, "LS 12", name=EA_KAO)]),
    Record(id="dl-exact", title="Đắk Lắk: đất và người", year=2015, authors=["Trần Văn Bình"],
           subjects=["Địa lý", "Đắk Lắk"], language="vie", isbns=["9786040000026"],
           collections=["Địa chí Đắk Lắk"], holdings=[H("bmt", 2, 2, "915.97 Đ113L")]),
    Record(id="dl-plain", title="Dak Lak travel guide", year=2019, authors=["Smith, John"],
           subjects=["Travel"], language="eng", holdings=[H("bmt", 1, 0)]),
    Record(id="dl-variant", title="Đăk Lăk xưa và nay", year=1990, authors=["Phạm Minh Đức"],
           subjects=["Địa chí"], language="vie", holdings=[H("tuy-hoa", 1, 1)]),
    Record(id="de-cricket", title="Dế mèn phiêu lưu ký", year=1941, authors=["Tô Hoài, 1920-2014"],
           subjects=["Văn học thiếu nhi"], language="vie", isbns=["6041000043"],
           publisher="Kim Đồng",
           holdings=[H("bmt", 3, 3), H("tuy-hoa", 2, 1), H("xa-ea-kao", 1, 0, name=EA_KAO)]),
    Record(id="damsan", title="Sử thi Đăm San", year=1988, authors=["Y Điêng"],
           subjects=["Sử thi", "Dân tộc Ê Đê"], language="vie", format="audiobook",
           url="http://localhost/bmt/sach-noi/dam-san", collections=["Sách nói"],
           description="Sử thi Ê Đê do nghệ nhân kể, thu âm năm 1988.",
           # as the pipeline gives a repository item: its site, and no printed copy
           holdings=[H("bmt", 0, 0, "398.2 S550T")]),
    Record(id="dia-chi-so", title="Địa chí Đắk Lắk (bản số hóa)", year=1995,
           authors=["Ủy ban nhân dân tỉnh Đắk Lắk"], subjects=["Địa chí", "Đắk Lắk"],
           language="vie", format="digital", url="/bmt/dia-chi/dia-chi-dak-lak",
           collections=["Địa chí Đắk Lắk"]),
    Record(id="bad-link", title="Tài liệu có liên kết lạ", year=2000, language="vie",
           format="ebook", url="javascript:alert(1)", holdings=[H("tuy-hoa", 1, 1)]),
    Record(id="coffee", title="Cà phê Buôn Ma Thuột", year=2012, authors=["Nguyễn Thị Lan"],
           subjects=["Cà phê", "Nông nghiệp"], language="vie", holdings=[H("bmt", 2, 2)]),
]
# Titles whose Vietnamese alphabetical order is not their code-point order.
SORTED_TITLES = ["An ninh biên giới", "Ăn uống của người Ê Đê", "Âm nhạc cồng chiêng",
                 "Bắc Tây Nguyên", "Dương Quảng Hàm tuyển tập", "Đà Lạt xưa"]
for n, title in enumerate(reversed(SORTED_TITLES)):
    RECORDS.append(Record(id=f"sort-{n}", title=title, year=1960 + n, language="vie",
                          collections=["Thử sắp xếp"], holdings=[H("bmt", 1, 1)]))
# Enough of one kind for two pages of results.
for n in range(1, 26):
    RECORDS.append(Record(id=f"truyen-{n:02d}", title=f"Truyện ngắn Tây Nguyên, tập {n}",
                          year=1980 + n, authors=["Nhiều tác giả"], subjects=["Truyện ngắn"],
                          language="vie", holdings=[H("tuy-hoa", 1, n % 2)]))

MARC_245 = "Lịch sử Tây Nguyên"


def add_marc_record(request):
    """A BibRecord of the library's own catalogue; returns its id."""
    import pymarc

    from ils.catalogue.models import BibRecord
    marc = pymarc.Record(force_utf8=True)
    marc.add_field(pymarc.Field(tag="001", data="BMT-0001"))
    marc.add_field(pymarc.Field(tag="020", indicators=[" ", " "],
                                subfields=[pymarc.Subfield("a", "9786040000019")]))
    marc.add_field(pymarc.Field(tag="245", indicators=["1", "0"],
                                subfields=[pymarc.Subfield("a", MARC_245)]))
    marc.add_field(pymarc.Field(tag="852", indicators=[" ", " "],
                                subfields=[pymarc.Subfield("b", "bmt"),
                                           pymarc.Subfield("h", "959.76 L302S")]))
    bib = BibRecord(source="bmt", control_number="BMT-0001", library="bmt",
                    marc=marc.as_marc(), marc_format="iso2709", marc_hash="0" * 32,
                    title=MARC_245)
    request.dbsession.add(bib)
    request.dbsession.flush()
    return bib.id


@pytest.fixture
def catalogue(demo, portal):
    """The demo sites, and RECORDS (only them) in the search index."""
    with portal() as p:
        bib_id = add_marc_record(p.request)
    records = [dataclasses.replace(r) for r in RECORDS]
    if HAS_PROVENANCE:
        records[0].provenance = [f"ils:{bib_id}"]
    with portal() as p:
        # what the pipeline indexed after the commits above (the demo's digital items,
        # the MARC record) is replaced by the records these tests know
        index = p.request.find_service(ISearchIndex)
        index.clear()
        index.index(records)
    return records


HIT = re.compile(r'<li class="hit">.*?href="http://localhost/record/([^"]+)"', re.S)


def hit_ids(page):
    """Record ids of the results on a search page, in order."""
    return HIT.findall(page.text)


__all__ = ["RECORDS", "SORTED_TITLES", "EA_KAO", "HAS_PROVENANCE", "MARC_245", "catalogue",
           "hit_ids"]
