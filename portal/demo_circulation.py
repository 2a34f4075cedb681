"""Demo readers, printed copies, loans, holds and digital licences, so the desk and the
reader's account have something to show. Idempotent: nothing is added when the demo
titles are already in the catalogue (source ``demo``).

The reader ``bandoc`` (the demo reader login) gets the card of "Bạn đọc mẫu" when no
reader is linked to that account yet.
"""
import datetime
import hashlib

from sqlalchemy import select

from ils.accounts.services import IAccountService
from ils.catalogue.iso2709 import to_iso2709
from ils.catalogue.marc import ControlField, DataField, MarcRecord
from ils.catalogue.models import BibRecord, Item
from ils.circulation.interfaces import CirculationError, ICirculation
from ils.circulation.models import ClosedDay, DigitalLicence, Policy
from ils.readers.models import Reader, ReaderCategory, ReaderStatus

#: (control number, title, author, year, DDC, copies at bmt, copies at tuy-hoa)
TITLES = [
    ("demo-1", "Truyện Kiều", "Nguyễn Du", 1820, "895.9221", 3, 2),
    ("demo-2", "Đất rừng phương Nam", "Đoàn Giỏi", 1957, "895.9223", 2, 1),
    ("demo-3", "Lịch sử Tây Nguyên (tài liệu mẫu)", "Ban biên soạn thư viện", 2001,
     "959.76", 2, 1),
    ("demo-4", "Cà phê Buôn Ma Thuột (tài liệu mẫu)", "Nguyễn Thị Lan", 2012, "633.73", 1, 1),
    ("demo-5", "Sử thi Đăm San (tài liệu mẫu)", "Y Điêng", 1988, "398.2", 1, 0),
    ("demo-6", "Luật tục Ê Đê (tài liệu mẫu)", "Trần Thị Minh Họa", 2022, "340.52", 1, 1),
]

#: (key, name, category, home site, status, block reason, staff note)
READERS = [
    ("bandoc", "Bạn đọc mẫu", "adult", "bmt", "active", "", ""),
    ("hoa", "Nguyễn Thị Hoa", "student", "bmt", "active", "",
     "Sinh viên Trường Đại học Tây Nguyên; thẻ sinh viên đã kiểm tra."),
    ("bhin", "Y Bhin Niê", "adult", "bmt", "active", "", ""),
    ("khoa", "Trần Minh Khoa", "child", "tuy-hoa", "active", "", "Phụ huynh: Trần Văn Lộc."),
    ("linh", "H'Linh Mlô", "adult", "tuy-hoa", "blocked", "Làm mất sách chưa bồi thường.", ""),
    ("tam", "Lê Văn Tâm", "adult", "bmt", "pending", "", ""),
]


def marc_for(control, title, author, year, ddc):
    record = MarcRecord("00000nam a2200000 a 4500", [
        ControlField("001", control),
        ControlField("008", f"261126s{year}    vm            000 0 vie d"),
        DataField("082", "04", [("a", ddc)]),
        DataField("100", "1 ", [("a", author)]),
        DataField("245", "10", [("a", title)]),
        DataField("264", " 1", [("c", str(year))]),
    ])
    return to_iso2709(record)


def add_titles(db):
    items = {}
    counters = {"bmt": 0, "tuy-hoa": 0}
    for control, title, author, year, ddc, n_bmt, n_th in TITLES:
        marc = marc_for(control, title, author, year, ddc)
        record = BibRecord(source="demo", control_number=control, library="bmt", marc=marc,
                           marc_hash=hashlib.md5(marc).hexdigest(), title=title,
                           authors=[author], year=year, ddc=ddc, language="vie",
                           languages=["vie"])
        db.add(record)
        db.flush()
        for library, n in (("bmt", n_bmt), ("tuy-hoa", n_th)):
            for _ in range(n):
                counters[library] += 1
                prefix = "BMT" if library == "bmt" else "TH"
                barcode = f"{prefix}9{counters[library]:05d}"
                item = Item(barcode=barcode, record_id=record.id, library=library,
                            call_number=f"{ddc} {author.split()[-1][:1].upper()}", source="demo",
                            location="Kho mở tầng 1" if library == "bmt" else "Phòng đọc")
                db.add(item)
                items.setdefault(control, []).append(item)
    db.flush()
    return items


def card_number(reader):
    try:
        from ils.readers.services import card_number_for
        return card_number_for(reader.id, reader.home_site)
    except ImportError:
        return f"DL{reader.id:09d}"


def add_readers(request, db):
    readers = {}
    bandoc = request.find_service(IAccountService).by_login("bandoc")
    for n, (key, name, category, home, status, reason, note) in enumerate(READERS, start=1):
        reader = Reader(full_name=name, category=ReaderCategory(category), home_site=home,
                        status=ReaderStatus(status), block_reason=reason, staff_note=note,
                        id_number=f"0669900000{n:02d}", birth_date=datetime.date(1990, 1, n),
                        email=f"{key}@example.vn", source="desk",
                        expires=datetime.date.today() + datetime.timedelta(days=365))
        db.add(reader)
        db.flush()
        if status != "pending":
            reader.card_number = card_number(reader)
        if key == "bandoc" and bandoc is not None and db.scalar(
                select(Reader).where(Reader.user_id == bandoc.id)) is None:
            reader.user_id = bandoc.id
        readers[key] = reader
    db.flush()
    return readers


def add_licences(request, circ):
    for site in request.root.sites():
        for obj in site.values() if hasattr(site, "values") else ():
            for child in obj.values() if hasattr(obj, "values") else ():
                kind = getattr(child, "type_name", "")
                if kind == "Audiobook":
                    circ.set_licence(child.uid, 2, title=child.title, site=site.__name__)
                elif kind == "DigitalItem" and getattr(child, "access", "open") == "restricted":
                    circ.set_licence(child.uid, 1, title=child.title, site=site.__name__)


def create_circulation_demo(request):
    """Add the demo circulation data once; returns True when it was added now."""
    db = request.dbsession
    if db.scalar(select(BibRecord.id).where(BibRecord.source == "demo").limit(1)) is not None:
        return False
    circ = request.find_service(ICirculation)
    items = add_titles(db)
    readers = add_readers(request, db)
    db.add(Policy(site="tuy-hoa", category="*", fine_per_day=1000))
    today = datetime.date.today()
    for offset in (10, 11):
        day = today + datetime.timedelta(days=offset)
        db.add(ClosedDay(site="bmt", day=day, reason="Ngày kiểm kê kho (mẫu)"))
    now = datetime.datetime.now(datetime.timezone.utc)
    weeks_ago = now - datetime.timedelta(days=20)
    try:
        circ.checkout(readers["bandoc"].id, items["demo-2"][0].barcode, "bmt", "demo")
        circ.checkout(readers["bandoc"].id, items["demo-4"][1].barcode, "tuy-hoa", "demo")
        circ.checkout(readers["hoa"].id, items["demo-5"][0].barcode, "bmt", "demo")
        circ.checkout(readers["hoa"].id, items["demo-3"][0].barcode, "bmt", "demo")
        circ.checkout(readers["khoa"].id, items["demo-6"][1].barcode, "tuy-hoa", "demo")
        circ.place_hold(readers["bhin"].id, "bmt", "demo", bib_record_id=items["demo-5"][0]
                        .record_id)                                    # waits for Hoa's copy
        circ.place_hold(readers["bandoc"].id, "bmt", "demo", bib_record_id=items["demo-5"][0]
                        .record_id)                                    # second in the queue
        circ.place_hold(readers["khoa"].id, "tuy-hoa", "demo", bib_record_id=items["demo-3"][0]
                        .record_id)
        circ.place_hold(readers["hoa"].id, "bmt", "demo", bib_record_id=items["demo-6"][0]
                        .record_id)
        circ.checkin(items["demo-6"][0].barcode, "bmt", "demo")        # ready for Hoa
        circ.checkout(readers["bandoc"].id, items["demo-1"][0].barcode, "bmt", "demo",
                      now=weeks_ago)                                    # overdue now
        add_licences(request, circ)
        book = db.scalars(select(DigitalLicence).where(
            DigitalLicence.title.like("Chuyện kể bên bếp lửa%"))).first()
        if book is not None:
            circ.borrow_digital(readers["bandoc"].id, book.item_uid, "demo")
    except CirculationError as error:      # the demo must not fail half-way silently
        raise RuntimeError(f"demo circulation: {error.code} {error.details}") from error
    return True
