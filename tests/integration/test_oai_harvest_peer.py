"""Our harvester against an OAI-PMH provider we did not write: pyoai's server
(``oaipmh.server.BatchingServer``) on a loopback port, serving 250 records in
pages of 100 with resumption tokens, a few of them deleted.

pyoai 2.5.0 decodes its resumption tokens with ``cgi.parse_qs``, which
Python 3.8 removed; the fixture hands it back ``urllib.parse.parse_qs`` (the
function ``cgi.parse_qs`` always was), changing nothing of pyoai itself.
"""
import cgi
import datetime
import threading
import time
import urllib.parse
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from lxml.etree import SubElement
from oaipmh import common, error, metadata, server
from sqlalchemy import func, select

from ils import db
from ils.catalogue.models import BibRecord
from ils.harvest.jobs import run_harvest
from ils.harvest.models import OaiRecord, OaiSource
from ils.harvest.services import withdrawn_record_ids

from .conftest import free_port

MARC_NS = "http://www.loc.gov/MARC21/slim"
DELETED_FROM_THE_START = (17, 133, 222)


class PeerCatalogue:
    """The data behind pyoai's server (its IBatchingOAI interface)."""

    def __init__(self, n=250):
        self.base_url = ""
        self.records = {}
        start = datetime.datetime(2025, 3, 1)
        for i in range(1, n + 1):
            self.put(i, f"Địa chí Đắk Lắk, tập {i}", start + datetime.timedelta(hours=i),
                     deleted=i in DELETED_FROM_THE_START)

    def put(self, i, title, datestamp, deleted=False):
        fields = {"title": [title], "creator": ["Nhiều tác giả"], "publisher": ["Nxb. Đắk Lắk"],
                  "date": [str(datestamp.year)], "language": ["vi"], "type": ["Text"],
                  "identifier": [f"DL-{i:05d}"]}
        self.records[f"oai:peer.example:{i:05d}"] = (datestamp, deleted, fields)

    def identify(self):
        return common.Identify(
            repositoryName="Thư viện đối tác (pyoai)", baseURL=self.base_url,
            protocolVersion="2.0", adminEmails=["oai@peer.example"],
            earliestDatestamp=datetime.datetime(2020, 1, 1), deletedRecord="persistent",
            granularity="YYYY-MM-DDThh:mm:ssZ", compression=["identity"],
            toolkit_description=False)

    def listMetadataFormats(self, identifier=None):
        return [("oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
                 "http://www.openarchives.org/OAI/2.0/oai_dc/"),
                ("marc21", "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd",
                 MARC_NS)]

    def listSets(self, cursor=0, batch_size=10):
        raise error.NoSetHierarchyError("no sets")

    def _matching(self, from_, until):
        for identifier in sorted(self.records):
            datestamp, deleted, fields = self.records[identifier]
            if (from_ is None or datestamp >= from_) and (until is None or datestamp <= until):
                yield (common.Header(None, identifier, datestamp, [], deleted),
                       None if deleted else common.Metadata(None, fields), None)

    def listRecords(self, metadataPrefix, set=None, from_=None, until=None, cursor=0,
                    batch_size=10):
        return list(self._matching(from_, until))[cursor:cursor + batch_size]

    def listIdentifiers(self, metadataPrefix, set=None, from_=None, until=None, cursor=0,
                        batch_size=10):
        return [h for h, _m, _a in self.listRecords(metadataPrefix, set, from_, until, cursor,
                                                    batch_size)]

    def getRecord(self, metadataPrefix, identifier):
        datestamp, deleted, fields = self.records[identifier]
        return (common.Header(None, identifier, datestamp, [], deleted),
                common.Metadata(None, fields), None)


def marc21_writer(element, record):
    """pyoai has no MARC writer; a provider registers its own."""
    fields = record.getMap()
    root = SubElement(element, f"{{{MARC_NS}}}record", nsmap={None: MARC_NS})
    SubElement(root, f"{{{MARC_NS}}}leader").text = "00000nam a2200000 i 4500"
    SubElement(root, f"{{{MARC_NS}}}controlfield", tag="001").text = fields["identifier"][0]
    for tag, code, name in (("245", "a", "title"), ("260", "b", "publisher")):
        field = SubElement(root, f"{{{MARC_NS}}}datafield", tag=tag, ind1="0", ind2="0")
        SubElement(field, f"{{{MARC_NS}}}subfield", code=code).text = fields[name][0]


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class Peer:
    """pyoai's server behind a small WSGI app on a loopback port, with faults:
    ``faults`` lists what the next ListRecords requests get (None: the answer;
    ``drop``: half the answer, then the connection closes; ``503``: Service
    Unavailable with Retry-After; ``malformed``: XML cut short; ``stop``: the
    server goes away after dropping the request)."""

    def __init__(self, catalogue, port=None):
        registry = metadata.MetadataRegistry()
        registry.registerWriter("oai_dc", server.oai_dc_writer)
        registry.registerWriter("marc21", marc21_writer)
        self.catalogue = catalogue
        self.pyoai = server.BatchingServer(catalogue, registry, resumption_batch_size=100)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/oai"
        catalogue.base_url = self.url
        self.faults, self.log = [], []
        self.httpd = make_server("127.0.0.1", self.port, self.app, handler_class=Quiet)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def app(self, environ, start_response):
        params = dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", "")))
        self.log.append(params)
        fault = self.faults.pop(0) if params.get("verb") == "ListRecords" and self.faults \
            else None
        if fault == "503":
            start_response("503 Service Unavailable",
                           [("Retry-After", "1"), ("Content-Type", "text/plain")])
            return [b"busy"]
        body = self.pyoai.handleRequest(params)
        if fault in ("drop", "stop"):
            if fault == "stop":
                threading.Thread(target=self.stop).start()
            start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8"),
                                      ("Content-Length", str(len(body)))])
            return [body[:len(body) // 2]]
        if fault == "malformed":
            body = body[:len(body) // 2]
        start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8"),
                                  ("Content-Length", str(len(body)))])
        return [body]

    def list_requests(self):
        return [p for p in self.log if p.get("verb") == "ListRecords"]

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(autouse=True)
def pyoai_on_python_3(monkeypatch):
    monkeypatch.setattr(cgi, "parse_qs", urllib.parse.parse_qs, raising=False)


@pytest.fixture
def peer():
    started = [Peer(PeerCatalogue())]
    yield started
    for p in started:
        if p.thread.is_alive():
            p.stop()


@pytest.fixture
def store(sql_url):
    engine = db.make_engine({"sqlalchemy.url": sql_url})
    db.upgrade(engine)
    yield db.session_factory(engine)
    engine.dispose()


def add_source(factory, url, prefix="oai_dc", name="peer"):
    with factory() as session:
        source = OaiSource(name=name, title="Thư viện đối tác", base_url=url,
                           metadata_prefix=prefix, set_spec="", interval_hours=24, active=True,
                           last_counts={})
        session.add(source)
        session.commit()
        return source.id


def count(factory, model, *where):
    with factory() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


FAST = {"retries": 2, "backoff": 0.05, "timeout": 5}


def test_everything_then_only_what_changed(peer, store, sql_backend):
    p = peer[0]
    source_id = add_source(store, p.url)
    report = run_harvest(store, source_id, FAST)
    assert (report.status, report.pages, report.received) == ("ok", 3, 250)
    assert (report.created, report.deleted) == (247, 0)
    assert count(store, BibRecord) == 247
    assert count(store, OaiRecord, OaiRecord.deleted.is_(True)) == 3
    requests = p.list_requests()
    assert [("resumptionToken" in r) for r in requests] == [False, True, True]

    # the partner edits five records, deletes two and adds one
    later = datetime.datetime.utcnow() + datetime.timedelta(minutes=1)
    for i in (1, 50, 101, 150, 250):
        p.catalogue.put(i, f"Địa chí Đắk Lắk, tập {i} (bản sửa)", later)
    for i in (60, 160):
        p.catalogue.put(i, f"Địa chí Đắk Lắk, tập {i}", later, deleted=True)
    p.catalogue.put(251, "Địa chí Đắk Lắk, tập 251", later)
    p.log.clear()
    report = run_harvest(store, source_id, FAST)
    first = p.list_requests()[0]
    assert "from" in first and first["from"].endswith("Z")
    assert (report.received, report.created, report.updated, report.deleted) == (8, 1, 5, 2)
    with store() as session:
        titles = set(session.scalars(select(BibRecord.title)))
        assert "Địa chí Đắk Lắk, tập 150 (bản sửa)" in titles
        gone = session.scalars(select(OaiRecord.record_id).where(
            OaiRecord.identifier.in_(["oai:peer.example:00060", "oai:peer.example:00160"])))
        gone = set(gone)
        assert len(gone) == 2 and withdrawn_record_ids(session, gone) == gone
        assert session.get(OaiSource, source_id).last_status == "ok"
    assert count(store, BibRecord) == 248            # withdrawn, not erased


def test_a_dropped_connection_and_a_503_are_retried(peer, store):
    p = peer[0]
    p.faults = [None, "drop", "503"]
    waits = []
    report = run_harvest(store, add_source(store, p.url), FAST, sleep=waits.append)
    assert (report.status, report.received) == ("ok", 250)
    assert waits[1] == 1.0                           # as Retry-After asked
    tokens = [r.get("resumptionToken") for r in p.list_requests()]
    assert len(tokens) == 5 and tokens[1] == tokens[2] == tokens[3]


def test_a_server_that_goes_away_mid_harvest_is_resumed_later(peer, store):
    p = peer[0]
    source_id = add_source(store, p.url)
    p.faults = [None, "stop"]
    report = run_harvest(store, source_id, FAST, sleep=lambda s: time.sleep(0.2))
    assert report.status == "error" and report.pages == 1
    assert count(store, BibRecord) == 100 - 1       # page one, less a deleted record
    with store() as session:
        token = session.get(OaiSource, source_id).resumption_token
        assert token
    peer.append(Peer(p.catalogue, port=p.port))      # back on the same address
    report = run_harvest(store, source_id, FAST)
    assert report.resumed and report.status == "ok" and report.pages == 2
    assert peer[1].list_requests()[0] == {"verb": "ListRecords", "resumptionToken": token}
    assert count(store, BibRecord) == 247


def test_broken_xml_is_retried_reported_and_leaves_the_records(peer, store):
    p = peer[0]
    source_id = add_source(store, p.url)
    run_harvest(store, source_id, FAST)
    with store() as session:
        session.get(OaiSource, source_id).last_datestamp = None     # ask for everything
        session.commit()
    p.faults = [None, "malformed", "malformed", "malformed"]
    report = run_harvest(store, source_id, FAST, sleep=lambda s: None)
    assert report.status == "error"
    assert len(p.list_requests()) == 3 + 1 + 3       # first harvest, page one, three tries
    with store() as session:
        source = session.get(OaiSource, source_id)
        assert source.last_status == "error" and "XML" in source.last_error
        assert source.resumption_token
    assert count(store, BibRecord) == 247            # nothing wiped
    report = run_harvest(store, source_id, FAST)
    assert report.resumed and report.status == "ok"


def test_marc21_from_the_peer(peer, store):
    p = peer[0]
    report = run_harvest(store, add_source(store, p.url, prefix="marc21"), FAST)
    assert (report.status, report.created) == ("ok", 247)
    with store() as session:
        record = session.scalars(select(BibRecord).where(
            BibRecord.control_number == "oai:peer.example:00042")).one()
        marc = record.marc_record()
        assert marc.control("001") == "DL-00042"
        assert record.title == "Địa chí Đắk Lắk, tập 42"
        assert record.publisher == "Nxb. Đắk Lắk"
