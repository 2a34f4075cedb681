"""Import speed: synthetic Vietnamese MARC records into the SQL store.

    python bench/marc_import.py                 # 50,000 records, ISO 2709, temporary SQLite
    python bench/marc_import.py -n 200000 --format marcxml
    python bench/marc_import.py --url postgresql+psycopg://...   # an empty database
    python bench/marc_import.py --file BooksAll.2016.part01.utf8 # a real file instead

Writes N made-up records (Vietnamese titles, people and places, ISBNs, DDC,
subjects, one or two Koha 952 copies each) with pymarc to a temporary file,
then times, end to end: reading, decoding, extracting, storing records,
ISBNs and items, and the commit. A second run of the same file (every record
unchanged) is timed too. pymarc's own reading speed is printed as the ceiling.
The target of issue 3 is at least 5,000 records/s.
"""
import argparse
import os
import random
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import pymarc  # noqa: E402
from pymarc import Field, Indicators, Leader, Record, Subfield  # noqa: E402

TARGET = 5000

TOPICS = ["Lịch sử", "Văn hóa", "Kinh tế", "Giáo dục", "Địa lý", "Văn học", "Nông nghiệp",
          "Y học", "Pháp luật", "Âm nhạc", "Du lịch", "Ngôn ngữ", "Dân tộc học", "Cà phê",
          "Hồ tiêu", "Sử thi", "Cồng chiêng", "Lễ hội", "Kiến trúc", "Lâm nghiệp"]
PLACES = ["Tây Nguyên", "Đắk Lắk", "Buôn Ma Thuột", "Tuy Hòa", "Phú Yên", "Krông Pắc",
          "Ea H'leo", "Buôn Đôn", "Cư M'gar", "M'Đrắk", "Sông Hinh", "Việt Nam", "Miền Trung"]
WORDS = ["phát triển", "truyền thống", "cộng đồng", "buôn làng", "rừng", "núi", "sông",
         "người", "mùa xuân", "quê hương", "kháng chiến", "đổi mới", "nhà dài", "ghè rượu",
         "đàn đá", "trường ca", "Đăm San", "Xing Nhã", "dế", "dê", "đê", "gia đình", "trẻ em"]
FORMS = ["Tổng quan", "Nghiên cứu", "Giáo trình", "Tuyển tập", "Sổ tay", "Hỏi đáp",
         "Địa chí", "Tư liệu", "Truyện cổ tích", "Hồi ký"]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
            "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Quang", "Ngọc", "Xuân"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hạnh", "Hoa", "Hùng", "Hương", "Khánh",
         "Lan", "Linh", "Long", "Mai", "Nam", "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Ước"]
ETHNIC = ["Y Điêng", "H'Linh Niê", "Y Jut Hwing", "Ama Sa", "Điểu Kâu", "Y Kô Niê"]
PUBLISHERS = ["Nxb. Kim Đồng", "Nxb. Trẻ", "Nxb. Giáo dục Việt Nam", "Nxb. Văn học",
              "Nxb. Khoa học xã hội", "Nxb. Hội Nhà văn", "Nxb. Đà Nẵng", "Nxb. Nông nghiệp",
              "Nxb. Văn hóa dân tộc", "Nxb. Thế giới"]
DDC = ["959.76", "398.209597", "781.62", "633.73", "895.9223", "915.9765", "305.89593",
       "372.6", "346.597", "915.9755"]


def _person(rng):
    if rng.random() < 0.1:
        return rng.choice(ETHNIC)
    return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def _isbn13(rng):
    body = "978604" + "".join(rng.choice("0123456789") for _ in range(6))
    total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body))
    return body + str((10 - total % 10) % 10)


def synthetic_record(n, rng):
    year = rng.randint(1960, 2025)
    title = f"{rng.choice(FORMS)} {rng.choice(TOPICS).lower()} {rng.choice(PLACES)}"
    subtitle = " ".join(rng.sample(WORDS, 2))
    author = _person(rng)
    record = Record(force_utf8=True, leader=Leader("00000nam a2200000 a 4500"))
    record.add_field(Field(tag="001", data=f"syn{n:08d}"))
    record.add_field(Field(tag="005", data="20251101120000.0"))
    record.add_field(Field(tag="008", data=f"250101s{year}    vm            000 0 vie d"))
    if rng.random() < 0.8:
        isbn = _isbn13(rng)
        if rng.random() < 0.3:
            isbn = f"{isbn[:3]}-{isbn[3:6]}-{isbn[6:8]}-{isbn[8:12]}-{isbn[12]}"
        record.add_field(Field("020", Indicators(" ", " "), [Subfield("a", isbn),
                                                             Subfield("c", "85000đ")]))
    record.add_field(Field("041", Indicators("0", " "), [Subfield("a", "vie")]))
    record.add_field(Field("082", Indicators("0", "4"), [Subfield("a", rng.choice(DDC)),
                                                         Subfield("2", "23")]))
    record.add_field(Field("100", Indicators("0", " "), [Subfield("a", author)]))
    record.add_field(Field("245", Indicators("1", "0"), [
        Subfield("a", title + " :"), Subfield("b", subtitle + " /"),
        Subfield("c", f"{author} chủ biên")]))
    record.add_field(Field("260", Indicators(" ", " "), [
        Subfield("a", rng.choice(["Hà Nội", "Buôn Ma Thuột", "Tuy Hòa"]) + " :"),
        Subfield("b", rng.choice(PUBLISHERS) + ","), Subfield("c", str(year))]))
    record.add_field(Field("300", Indicators(" ", " "), [
        Subfield("a", f"{rng.randint(40, 600)} tr. ;"), Subfield("c", "21 cm")]))
    for _ in range(rng.randint(1, 3)):
        record.add_field(Field("650", Indicators(" ", "7"), [
            Subfield("a", rng.choice(TOPICS)), Subfield("z", rng.choice(PLACES)),
            Subfield("2", "Bộ TĐCĐ")]))
    if rng.random() < 0.4:
        record.add_field(Field("700", Indicators("0", " "), [Subfield("a", _person(rng))]))
    for copy in range(rng.choice((1, 1, 2))):
        record.add_field(Field("952", Indicators(" ", " "), [
            Subfield("a", "BMT"), Subfield("b", "BMT"), Subfield("c", "KHO-MO"),
            Subfield("o", f"{rng.choice(DDC)} {author.split()[0][:2].upper()}"),
            Subfield("p", f"BMT{n:08d}{copy}"), Subfield("y", "SACH")]))
    return record


def write_file(path, count, fmt, seed=2026):
    rng = random.Random(seed)
    with open(path, "wb") as out:
        if fmt == "marcxml":
            out.write(b'<?xml version="1.0" encoding="UTF-8"?>\n'
                      b'<collection xmlns="http://www.loc.gov/MARC21/slim">\n')
        for n in range(count):
            record = synthetic_record(n, rng)
            if fmt == "marcxml":
                out.write(pymarc.record_to_xml(record, namespace=False) + b"\n")
            else:
                out.write(record.as_marc())
        if fmt == "marcxml":
            out.write(b"</collection>\n")


def pymarc_read(path, fmt):
    started, n = time.perf_counter(), 0
    if fmt == "marcxml":
        def count(_record):
            nonlocal n
            n += 1
        pymarc.map_xml(count, path)
    else:
        with open(path, "rb") as f:
            for _record in pymarc.MARCReader(f):
                n += 1
    return n, time.perf_counter() - started


def import_once(url, path, library):
    import transaction

    from ils import db
    from ils.catalogue.importer import MarcImporter
    engine = db.make_engine({"sqlalchemy.url": url})
    db.upgrade(engine)
    factory = db.session_factory(engine)
    manager = transaction.TransactionManager(explicit=True)
    started = time.perf_counter()
    manager.begin()
    session = db.tm_session(factory, manager)
    report = MarcImporter(session, library).run(path)
    manager.commit()
    elapsed = time.perf_counter() - started
    engine.dispose()
    return report, elapsed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--records", type=int, default=50_000)
    parser.add_argument("--format", choices=("iso2709", "marcxml"), default="iso2709")
    parser.add_argument("--url", help="an empty database (default: a temporary SQLite file)")
    parser.add_argument("--file", help="import this MARC file instead of synthetic records")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="serepok-bench-") as tmp:
        url = args.url or f"sqlite:///{tmp}/bench.sqlite"
        if args.file:
            path = args.file
            fmt = "marcxml" if open(path, "rb").read(64).lstrip().startswith(b"<") else "iso2709"
        else:
            fmt = args.format
            path = os.path.join(tmp, "bench." + ("xml" if fmt == "marcxml" else "mrc"))
            started = time.perf_counter()
            write_file(path, args.records, fmt)
            size = os.path.getsize(path) / 1e6
            print(f"wrote {args.records:,} synthetic records ({size:.1f} MB, {fmt}) "
                  f"in {time.perf_counter() - started:.1f} s")
        n, seconds = pymarc_read(path, fmt)
        print(f"pymarc alone reads      {n / seconds:10,.0f} records/s  ({n:,} in {seconds:.2f} s)")
        for label in ("import, first run", "import, again (unchanged)"):
            report, seconds = import_once(url, path, "bmt")
            rate = report.read / seconds
            verdict = "ok" if rate >= TARGET else f"BELOW the target of {TARGET:,}"
            print(f"{label:24}{rate:10,.0f} records/s  ({report.read:,} read, {report.created:,} "
                  f"created, {report.updated:,} updated, {report.unchanged:,} unchanged, "
                  f"{len(report.rejected):,} rejected, {report.items_created:,} items created "
                  f"in {seconds:.2f} s) {verdict}")
            if report.encodings:
                print(f"  encodings converted: {report.encodings}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
