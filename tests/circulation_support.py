"""Readers, titles and copies for circulation tests (unit, functional, concurrency)."""
import datetime
import hashlib
import itertools

from ils.catalogue.models import BibRecord, Item
from ils.readers.models import Reader, ReaderCategory, ReaderStatus

_numbers = itertools.count(1)
UTC = datetime.timezone.utc
#: 10:00 in Buôn Ma Thuột on Thursday 26 November 2026
NOW = datetime.datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


def days(n, base=NOW):
    return base + datetime.timedelta(days=n)


def make_reader(db, name="Nguyễn Văn An", status=ReaderStatus.ACTIVE, category="adult",
                home_site="bmt", **fields):
    n = next(_numbers)
    reader = Reader(card_number=fields.pop("card_number", f"DL{n:08d}"),
                    id_number=fields.pop("id_number", f"0661{n:08d}"), full_name=name,
                    status=status, category=ReaderCategory(category), home_site=home_site,
                    expires=fields.pop("expires", datetime.date(2030, 1, 1)), **fields)
    db.add(reader)
    db.flush()
    return reader


def make_title(db, title="Đất rừng phương Nam", copies=(("bmt", None),)):
    """A record and its copies: ``copies`` is ((library, barcode or None), …)."""
    n = next(_numbers)
    record = BibRecord(source="test", control_number=f"c{n}", library="bmt", marc=b"-",
                       marc_hash=hashlib.md5(str(n).encode()).hexdigest(), title=title)
    db.add(record)
    db.flush()
    items = []
    for i, (library, barcode) in enumerate(copies):
        item = Item(barcode=barcode or f"T{n:05d}{i:02d}", record_id=record.id,
                    library=library)
        db.add(item)
        items.append(item)
    db.flush()
    return record, items
