"""pymarc's own test files (from its source distribution) import without loss.

They are not in our tree: ``scripts/fetch-pymarc-testdata`` (run by ``make
test``) unpacks them into ``~/.cache/serepok/pymarc-sdist/pymarc-<version>/test``
(or ``$SEREPOK_CACHE/...``; ``SEREPOK_PYMARC_TESTDATA`` names another folder).
Without them these tests skip.

pymarc itself is the oracle: every record it reads correctly must come out of
our reader field for field. Where pymarc reads a record wrong (it trusts a
leader that says MARC-8 over UTF-8 data, say), the test says so and checks
our reading instead.
"""
import os
import re
import unicodedata
from importlib.metadata import version

import pymarc
import pytest
from sqlalchemy import select

from ils.catalogue.importer import MarcImporter
from ils.catalogue.marcfile import read_marc
from ils.catalogue.models import BibRecord
from tests.fixtures.marc.make_fixtures import raw_record

DATA = os.environ.get("SEREPOK_PYMARC_TESTDATA") or os.path.join(
    os.environ.get("SEREPOK_CACHE") or os.path.expanduser("~/.cache/serepok"),
    "pymarc-sdist", f"pymarc-{version('pymarc')}", "test")

pytestmark = pytest.mark.skipif(
    not os.path.isfile(os.path.join(DATA, "test.dat")),
    reason=f"pymarc's test files are not in {DATA}: run scripts/fetch-pymarc-testdata "
           "(`make test` does)")

# Records broken on purpose, by file: the record numbers we reject.
BROKEN = {
    # a sound record, then damaged leaders and directories, a sound one, a cut one;
    # records 2 and 3 only have a wrong base address, which the directory's end mark fixes
    "bad_records.mrc": {4, 5, 6, 7, 9},
    "bad_tag.xml": {1},                 # a 17-character leader, a two-character tag
    "1251.dat": {1, 2, 3, 4, 5, 6},     # Windows-1251 text under a MARC-8 leader
}
# Records pymarc reads wrong, and why; checked in test_where_pymarc_misreads.
PYMARC_WRONG = {
    "1251.dat": "Cyrillic Windows-1251 bytes decoded as MARC-8",
    "utf8_without_leader_flag.dat": "UTF-8 data decoded as MARC-8 because of the leader",
    "testunimarc.dat": "UTF-8 UNIMARC decoded as MARC-8",
    "bad_subfield_code.dat": "the 245 length counts characters; pymarc cuts its last byte",
    "utf8_invalid.mrc": "a damaged subfield code: pymarc keeps the code letter in the text",
}


def files():
    names = sorted(n for n in os.listdir(DATA) if n.endswith((".dat", ".mrc", ".xml")))
    return [os.path.join(DATA, n) for n in names]


_CONTROL = re.compile("[\x00-\x1f\x7f]")


def _text(value):
    return unicodedata.normalize("NFC", _CONTROL.sub("", value))


def pymarc_records(path):
    if path.endswith(".xml"):
        try:
            return pymarc.parse_xml_to_array(path)
        except pymarc.exceptions.PymarcException:
            return []
    with open(path, "rb") as fh:
        return [r for r in pymarc.MARCReader(fh, to_unicode=True, hide_utf8_warnings=True) if r]


def as_pymarc_fields(record):
    return [(f.tag, _text(f.data)) if f.control_field else
            (f.tag, "".join(f.indicators), [(s.code, _text(s.value)) for s in f.subfields])
            for f in record.fields]


def as_our_fields(record):
    return [(f.tag, f.value) if f.control else (f.tag, f.indicators, list(f.subfields))
            for f in record.fields]


@pytest.fixture
def session(dbsession, sql_backend):
    """A migrated database, on SQLite and on PostgreSQL."""
    return dbsession


def test_every_file_imports_without_loss(session):
    seen = 0
    for path in files():
        name = os.path.basename(path)
        report = MarcImporter(session, "pymarc", source=re.sub(r"[^a-z0-9]+", "-", name)).run(path)
        assert report.read == report.created + len(report.rejected), name
        assert {r.number for r in report.rejected} == BROKEN.get(name, set()), name
        assert report.stopped is None, name
        seen += report.read
    assert seen >= 60
    # each stored record reads back whole
    for record in session.scalars(select(BibRecord)):
        assert record.marc_record().fields


def test_every_record_pymarc_reads_right_comes_out_field_for_field():
    compared = 0
    for path in files():
        name = os.path.basename(path)
        if name in PYMARC_WRONG:
            continue
        ours = {}
        for entry in read_marc(path):
            if entry.record is not None:
                ours.setdefault(entry.record.control("001"), []).append(
                    as_our_fields(entry.record))
        for record in pymarc_records(path):
            number = record.get("001").data if record.get("001") else None
            assert as_pymarc_fields(record) in ours.get(number, []), (name, number)
            compared += 1
    assert compared >= 50


def _one(path):
    [entry] = [e for e in read_marc(os.path.join(DATA, path)) if e.record is not None]
    return entry.record


def test_where_pymarc_misreads_we_read_right():
    solitude = _one("utf8_without_leader_flag.dat")
    assert solitude.datafields("240")[0].get("a") == "De la solitude à la communauté."
    assert solitude.encoding == "utf-8-unlabelled"
    unimarc = _one("testunimarc.dat")           # non-sorting marks NSB/NSE kept as they are
    assert unimarc.datafields("200")[0].get("a") == "\x88L'\x89altra faccia della spirale"
    perl = _one("bad_subfield_code.dat")
    assert perl.datafields("245")[0].subfields == [("a", "ActivePerl with ASP and ADO /"),
                                                   ("c", "Tobias Martinsson.")]
    teachers = _one("utf8_invalid.mrc")
    assert teachers.datafields("260")[0].get("b") == "Association of Teacher Educators]"


def test_marc8_records_are_decoded():
    assert _one("marc8.dat").datafields("240")[0].get("a") == "De la solitude à la communauté."
    assert _one("marc8.dat").encoding == "marc-8"
    bordeaux = _one("bad_marc8_escape.dat")     # a stray escape (in place of the last é)
    assert bordeaux.datafields("260")[0].get("b") == "La Sociét,"     # is dropped
    assert bordeaux.datafields("245")[0].get("a").startswith("Bulletin de la Société")
    japanese = _one("bad_eacc_encoding.dat")
    assert japanese.datafields("245")[0].get("a") == "Beikoku no tōchi no shikumi"


def test_pymarc_marc8_table_decodes_exactly_and_never_looks_like_tcvn3_or_vni():
    """Each of the 1,515 MARC-8 strings of pymarc's test_marc8.txt (Latin with
    diacritics, Chinese, Japanese, Arabic...) imported as a record's title comes
    out as the matching line of test_utf8.txt."""
    with open(os.path.join(DATA, "test_marc8.txt"), "rb") as f:
        marc8 = f.read().split(b"\n")
    with open(os.path.join(DATA, "test_utf8.txt"), "rb") as f:
        utf8 = f.read().split(b"\n")
    pairs = [(m, u) for m, u in zip(marc8, utf8) if m and u]
    assert len(pairs) == 1515
    data = b"".join(
        raw_record("00000nam  2200000 a 4500", [("001", f"line{n}"), ("245", "00", [("a", m)])],
                   lambda v: v if isinstance(v, bytes) else v.encode("ascii"))
        for n, (m, _u) in enumerate(pairs))
    entries = list(read_marc(data))
    assert all(e.record is not None for e in entries)
    assert {e.record.encoding for e in entries} <= {"marc-8", "utf-8"}
    for entry, (_m, expected) in zip(entries, pairs):
        title = entry.record.datafields("245")[0].get("a")
        assert title == unicodedata.normalize("NFC", expected.decode("utf-8")), entry.number


def test_file_in_a_wrong_encoding_imports_once_the_encoding_is_named(session):
    path = os.path.join(DATA, "1251.dat")
    report = MarcImporter(session, "pymarc", encoding="cp1251").run(path)
    assert (report.read, report.created, report.rejected) == (6, 6, [])
    assert report.encodings == {"cp1251": 6}
    titles = {r.control_number: r.title for r in session.scalars(select(BibRecord))}
    assert titles["ru03-000001RKP"].startswith(
        "Основы гидравлического расчета инженерных сетей [учеб. пособие")
    assert titles["ru03-000005RKP"].startswith("Мио, мой Мио!")
