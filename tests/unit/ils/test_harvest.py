"""OAI-PMH harvesting against an in-process provider (httpx's MockTransport):
incremental, resumable, retrying, and never losing what was harvested."""
import datetime
import io
import textwrap
from xml.sax.saxutils import escape

import httpx
import pytest
from lxml import etree
from sqlalchemy import func, select

from ils import db
from ils.catalogue.models import BibRecord, Item, ItemStatus
from ils.harvest.cli import add_harvest, cmd_harvest
from ils.harvest.client import OaiClient, _retry_after
from ils.harvest.dublincore import marc_from_dc
from ils.harvest.harvester import Harvester
from ils.harvest.jobs import claim, run_harvest
from ils.harvest.models import OaiRecord, OaiSource
from ils.harvest.services import OaiSources, withdrawn_record_ids

BASE = "http://peer.example/oai"
DC_NS = ('xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
         'xmlns:dc="http://purl.org/dc/elements/1.1/"')


class Provider:
    """A small OAI-PMH provider: records, pages of ``size``, faults on demand.

    ``faults`` is a list of what the next ListRecords requests get instead of
    their answer: ``"503"`` (Retry-After in ``retry_after``), ``"drop"`` (the
    connection breaks), ``"malformed"`` (XML cut short) or an OAI error code;
    ``None`` lets a request through.
    """

    def __init__(self, size=2, granularity="YYYY-MM-DDThh:mm:ssZ", prefix="oai_dc"):
        self.records = {}          # identifier -> (datestamp, deleted, metadata xml)
        self.size, self.granularity, self.prefix = size, granularity, prefix
        self.faults, self.retry_after = [], "7"
        self.requests = []
        self.now = "2026-11-20T10:00:00Z"

    def add(self, n, title, datestamp="2025-06-01T00:00:00Z", deleted=False, creator="Tác giả",
            extra=""):
        identifier = f"oai:peer.example:{n}"
        metadata = (f'<oai_dc:dc {DC_NS}><dc:title>{escape(title)}</dc:title>'
                    f'<dc:creator>{escape(creator)}</dc:creator>{extra}</oai_dc:dc>')
        self.records[identifier] = (datestamp, deleted, metadata)
        return identifier

    def envelope(self, body):
        return (f'<?xml version="1.0" encoding="UTF-8"?>'
                f'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
                f'<responseDate>{self.now}</responseDate><request>{BASE}</request>'
                f'{body}</OAI-PMH>')

    def __call__(self, request):
        params = dict(request.url.params)
        self.requests.append(params)
        verb = params.get("verb")
        if verb == "Identify":
            return self.ok(f"<Identify><repositoryName>Peer</repositoryName>"
                           f"<baseURL>{BASE}</baseURL><protocolVersion>2.0</protocolVersion>"
                           f"<earliestDatestamp>2020-01-01T00:00:00Z</earliestDatestamp>"
                           f"<deletedRecord>persistent</deletedRecord>"
                           f"<granularity>{self.granularity}</granularity></Identify>")
        if verb != "ListRecords":
            return self.error("badVerb")
        fault = self.faults.pop(0) if self.faults else None
        if fault == "503":
            return httpx.Response(503, headers={"Retry-After": self.retry_after}, text="busy")
        if fault == "drop":
            raise httpx.RemoteProtocolError("peer closed connection without sending complete "
                                            "message body", request=request)
        if fault == "malformed":
            return self.ok("<ListRecords><record><header><identifier>oai:x</ident")
        if fault:
            return self.error(fault)
        if "resumptionToken" in params:
            token = params["resumptionToken"]
            if not token.startswith("t:"):
                return self.error("badResumptionToken")
            _t, cursor, start = token.split(":", 2)
            cursor = int(cursor)
        else:
            if params.get("metadataPrefix") != self.prefix:
                return self.error("cannotDisseminateFormat")
            cursor, start = 0, params.get("from", "")
        matching = sorted((i, r) for i, r in self.records.items() if r[0] >= start)
        if not matching:
            return self.error("noRecordsMatch")
        page = matching[cursor:cursor + self.size]
        body = []
        for identifier, (datestamp, deleted, metadata) in page:
            status = ' status="deleted"' if deleted else ""
            body.append(f"<record><header{status}><identifier>{identifier}</identifier>"
                        f"<datestamp>{datestamp}</datestamp></header>"
                        + ("" if deleted else f"<metadata>{metadata}</metadata>")
                        + "</record>")
        if cursor + self.size < len(matching):
            body.append(f'<resumptionToken completeListSize="{len(matching)}">'
                        f't:{cursor + self.size}:{start}</resumptionToken>')
        elif cursor:
            body.append(f'<resumptionToken completeListSize="{len(matching)}"/>')
        return self.ok("<ListRecords>" + "".join(body) + "</ListRecords>")

    def ok(self, body):
        return httpx.Response(200, content=self.envelope(body).encode("utf-8"),
                              headers={"Content-Type": "text/xml; charset=utf-8"})

    def error(self, code):
        return self.ok(f'<error code="{code}">{code} from the test provider</error>')

    def list_requests(self):
        return [r for r in self.requests if r.get("verb") == "ListRecords"]


@pytest.fixture
def session(dbsession, sql_backend):
    """A migrated database, on SQLite and on PostgreSQL."""
    return dbsession


@pytest.fixture
def sqlite_session(dbsession):
    return dbsession


def make_source(session, prefix="oai_dc", name="peer"):
    source = OaiSource(name=name, title="Thư viện đối tác", base_url=BASE,
                       metadata_prefix=prefix, set_spec="", interval_hours=24, active=True,
                       last_counts={})
    session.add(source)
    session.commit()
    return source


def harvest(session, source, provider, waits=None, retries=2):
    client = OaiClient(BASE, transport=httpx.MockTransport(provider), retries=retries,
                       sleep=(waits if waits is not None else []).append)
    return Harvester(session, client, checkpoint=session.commit).run(source)


def titles(session, source="oai:peer"):
    return sorted(session.scalars(select(BibRecord.title).where(BibRecord.source == source)))


def test_a_full_harvest_follows_resumption_tokens_then_only_changes_come(session):
    provider = Provider(size=2)
    for n in range(1, 6):
        provider.add(n, f"Sách số {n}")
    source = make_source(session)
    report = harvest(session, source, provider)
    assert (report.status, report.pages, report.created) == ("ok", 3, 5)
    assert titles(session) == [f"Sách số {n}" for n in range(1, 6)]
    assert source.last_datestamp == "2026-11-20T10:00:00Z" and source.resumption_token is None
    first = provider.list_requests()[0]
    assert "from" not in first and first["metadataPrefix"] == "oai_dc"

    provider.now = "2026-11-21T10:00:00Z"
    provider.add(2, "Sách số 2 (tái bản)", datestamp="2026-11-20T12:00:00Z")
    provider.add(6, "Sách số 6", datestamp="2026-11-20T13:00:00Z")
    provider.requests.clear()
    report = harvest(session, source, provider)
    assert provider.list_requests()[0]["from"] == "2026-11-20T10:00:00Z"
    assert (report.received, report.created, report.updated) == (2, 1, 1)
    assert "Sách số 2 (tái bản)" in titles(session) and len(titles(session)) == 6
    assert source.last_datestamp == "2026-11-21T10:00:00Z"


def test_day_granularity_sends_a_date(sqlite_session):
    provider = Provider(granularity="YYYY-MM-DD")
    provider.add(1, "Một")
    source = make_source(sqlite_session)
    harvest(sqlite_session, source, provider)
    provider.requests.clear()
    harvest(sqlite_session, source, provider)
    assert provider.list_requests()[0]["from"] == "2026-11-20"


def test_a_deleted_record_is_withdrawn_not_erased_and_can_come_back(session):
    provider = Provider()
    kept = provider.add(1, "Còn lại")
    gone = provider.add(2, "Bị xóa")
    source = make_source(session)
    harvest(session, source, provider)
    record = session.scalars(select(BibRecord).where(BibRecord.title == "Bị xóa")).one()
    session.add(Item(barcode="peer-1", record_id=record.id, library="peer", source="oai:peer"))
    session.commit()

    provider.records[gone] = ("2026-11-20T11:00:00Z", True, "")
    report = harvest(session, source, provider)
    assert report.deleted == 1 and report.withdrawn_ids == [record.id]
    session.expire_all()
    assert session.get(BibRecord, record.id).marc           # still there, MARC and all
    assert session.scalars(select(Item.status)).one() == ItemStatus.WITHDRAWN
    log = session.scalars(select(OaiRecord).where(OaiRecord.identifier == gone)).one()
    assert log.deleted and log.record_id == record.id
    assert withdrawn_record_ids(session, [record.id, record.id + 1]) == {record.id}
    assert OaiSources(session).counts()[source.id] == (1, 1)

    provider.add(2, "Bị xóa", datestamp="2026-11-21T00:00:00Z")
    harvest(session, source, provider)
    session.expire_all()
    assert withdrawn_record_ids(session, [record.id]) == set()
    assert kept in {r.identifier for r in session.scalars(select(OaiRecord))}


def test_a_deleted_record_never_seen_is_remembered_only(sqlite_session):
    provider = Provider()
    provider.add(1, "Một")
    provider.records["oai:peer.example:9"] = ("2025-01-01T00:00:00Z", True, "")
    source = make_source(sqlite_session)
    report = harvest(sqlite_session, source, provider)
    assert (report.created, report.deleted) == (1, 0)
    assert sqlite_session.scalar(select(func.count()).select_from(OaiRecord)) == 2


def test_503_waits_as_long_as_retry_after_asks(sqlite_session):
    provider = Provider()
    provider.add(1, "Một")
    provider.faults = ["503"]
    waits = []
    report = harvest(sqlite_session, make_source(sqlite_session), provider, waits)
    assert report.status == "ok" and waits == [7.0]
    assert len(provider.list_requests()) == 2


def test_retry_after_may_be_an_http_date():
    now = datetime.datetime(2026, 11, 20, 10, 0, tzinfo=datetime.timezone.utc)
    later = "Fri, 20 Nov 2026 10:02:00 GMT"
    assert _retry_after(later, now=now.timestamp()) == 120
    assert _retry_after("30") == 30 and _retry_after("soon") is None


def test_a_dropped_connection_is_retried_with_backoff(sqlite_session):
    provider = Provider(size=1)
    for n in range(1, 4):
        provider.add(n, f"Sách {n}")
    provider.faults = [None, "drop"]                  # the second page breaks once
    waits = []
    report = harvest(sqlite_session, make_source(sqlite_session), provider, waits)
    assert (report.status, report.created) == ("ok", 3)
    assert len(waits) == 1 and 1.0 <= waits[0] <= 3.0     # backoff 2 s, with jitter
    tokens = [r.get("resumptionToken") for r in provider.list_requests()]
    assert tokens[1] == tokens[2] == "t:1:"         # the same page asked again


def test_broken_xml_is_retried_reported_and_wipes_nothing(session):
    provider = Provider(size=2)
    for n in range(1, 6):
        provider.add(n, f"Sách số {n}")
    source = make_source(session)
    harvest(session, source, provider)
    assert len(titles(session)) == 5

    # the edition changes everywhere, and the provider breaks on its second page
    source.last_datestamp = None
    session.commit()
    for n in range(1, 6):
        provider.add(n, f"Sách số {n}, bản mới")
    provider.faults = [None, "malformed", "malformed", "malformed"]
    provider.requests.clear()
    report = harvest(session, source, provider, retries=2)
    assert report.status == "error" and report.pages == 1
    assert "XML" in report.error.en and "3" in report.error.vi
    session.rollback()                              # only what was committed counts
    session.expire_all()
    assert source.last_status == "error" and "XML" in source.last_error
    assert source.resumption_token == "t:2:"
    assert len(titles(session)) == 5                # nothing wiped
    assert titles(session).count("Sách số 3") == 1  # the pages not reached keep the old

    provider.requests.clear()
    report = harvest(session, source, provider)     # the provider is well again
    assert report.resumed and report.status == "ok"
    assert provider.list_requests()[0] == {"verb": "ListRecords", "resumptionToken": "t:2:"}
    assert all(t.endswith("bản mới") for t in titles(session))
    assert source.resumption_token is None


def test_a_source_that_is_down_stops_the_harvest_which_resumes_later(sqlite_session):
    provider = Provider(size=1)
    for n in range(1, 4):
        provider.add(n, f"Sách {n}")
    provider.faults = [None, "drop", "drop", "drop"]
    source = make_source(sqlite_session)
    report = harvest(sqlite_session, source, provider, retries=2)
    assert report.status == "error" and report.created == 1
    assert "kết nối" in report.error.vi
    report = harvest(sqlite_session, source, provider)
    assert report.resumed and report.created == 2 and len(titles(sqlite_session)) == 3


def test_oai_errors_are_reported_without_retrying(sqlite_session):
    provider = Provider()
    provider.add(1, "Một")
    provider.faults = ["badArgument"]
    report = harvest(sqlite_session, make_source(sqlite_session), provider)
    assert report.status == "error" and "badArgument" in report.error.en
    assert len(provider.list_requests()) == 1


def test_nothing_new_is_a_complete_harvest(sqlite_session):
    provider = Provider()
    source = make_source(sqlite_session)
    source.last_datestamp = "2026-01-01T00:00:00Z"
    report = harvest(sqlite_session, source, provider)
    assert (report.status, report.received) == ("ok", 0)
    assert source.last_datestamp == "2026-11-20T10:00:00Z"


def test_a_forgotten_resumption_token_starts_again_from_the_same_date(sqlite_session):
    provider = Provider()
    provider.add(1, "Một")
    source = make_source(sqlite_session)
    source.resumption_token = "expired-token"
    report = harvest(sqlite_session, source, provider)
    assert report.restarted and report.status == "ok" and report.created == 1


def test_unreadable_records_are_listed_and_the_rest_stored(sqlite_session):
    provider = Provider()
    provider.add(1, "Một")
    provider.records["oai:peer.example:2"] = (
        "2025-01-01T00:00:00Z", False, f"<oai_dc:dc {DC_NS}><dc:creator>Ai</dc:creator>"
                                       f"</oai_dc:dc>")
    source = make_source(sqlite_session)
    report = harvest(sqlite_session, source, provider)
    assert report.status == "warnings" and report.created == 1
    assert report.failed[0][0] == "oai:peer.example:2"
    assert "dc:title" in report.failed[0][1].vi
    assert "oai:peer.example:2" in source.last_error


MARCXML = textwrap.dedent("""\
    <record xmlns="http://www.loc.gov/MARC21/slim">
      <leader>00000nam a2200000 i 4500</leader>
      <controlfield tag="001">DL-000{n}</controlfield>
      <controlfield tag="008">250101s2015    vm            000 0 vie d</controlfield>
      <datafield tag="020" ind1=" " ind2=" "><subfield code="a">978-604-2-12345-7</subfield></datafield>
      <datafield tag="100" ind1="1" ind2=" "><subfield code="a">Nguyễn Văn Kha</subfield></datafield>
      <datafield tag="245" ind1="1" ind2="0"><subfield code="a">Lịch sử Tây Nguyên {n} /</subfield><subfield code="c">Nguyễn Văn Kha</subfield></datafield>
      <datafield tag="650" ind1=" " ind2="7"><subfield code="a">Lịch sử</subfield><subfield code="z">Tây Nguyên</subfield></datafield>
    </record>""")


def test_marc21_records_are_stored_as_they_came(sqlite_session):
    provider = Provider(prefix="marc21")
    for n in (1, 2):
        provider.records[f"oai:peer.example:{n}"] = ("2025-01-01T00:00:00Z", False,
                                                    MARCXML.format(n=n))
    source = make_source(sqlite_session, prefix="marc21")
    report = harvest(sqlite_session, source, provider)
    assert report.created == 2
    record = sqlite_session.scalars(select(BibRecord).order_by(BibRecord.id)).first()
    assert record.control_number == "oai:peer.example:1"     # the identifier keys it
    marc = record.marc_record()
    original = etree.fromstring(MARCXML.format(n=1).encode())
    assert marc.control("001") == "DL-0001"                 # the partner's MARC, untouched
    assert [f.tag for f in marc.fields] == [f.get("tag") for f in original[1:]]
    assert marc.datafields("650")[0].subfields == [("a", "Lịch sử"), ("z", "Tây Nguyên")]
    assert (record.year, record.isbns, record.subjects) == (
        2015, ["9786042123457"], ["Lịch sử -- Tây Nguyên"])


def test_dublin_core_becomes_a_minimal_marc_record():
    element = etree.fromstring(
        f'<oai_dc:dc {DC_NS}><dc:title>Sử thi Ê Đê</dc:title><dc:creator>Y Điêng</dc:creator>'
        '<dc:creator>Ay Dun</dc:creator><dc:subject>Sử thi</dc:subject>'
        '<dc:publisher>Khoa học xã hội</dc:publisher><dc:date>2004-05</dc:date>'
        '<dc:language>vi</dc:language><dc:type>Text</dc:type>'
        '<dc:identifier>ISBN 978-604-2-12345-7</dc:identifier>'
        '<dc:identifier>https://thuvien.example/item/7</dc:identifier>'
        '<dc:description>Bản song ngữ.</dc:description></oai_dc:dc>'.encode())
    record = marc_from_dc(element, "oai:peer:7")
    assert len(record.leader) == 24 and record.leader[6:8] == "am"
    assert record.control("001") == "oai:peer:7"
    fixed = record.control("008")
    assert len(fixed) == 40 and fixed[7:11] == "2004" and fixed[35:38] == "vie"
    by_tag = {f.tag: f for f in record.fields if not f.control}
    assert by_tag["245"].get("a") == "Sử thi Ê Đê"
    assert by_tag["100"].get("a") == "Y Điêng" and by_tag["700"].get("a") == "Ay Dun"
    assert by_tag["020"].get("a") == "9786042123457"
    assert by_tag["856"].get("u") == "https://thuvien.example/item/7"
    assert by_tag["260"].get("b") == "Khoa học xã hội"
    assert by_tag["520"].get("a") == "Bản song ngữ."
    with pytest.raises(ValueError):
        marc_from_dc(etree.fromstring(f"<oai_dc:dc {DC_NS}/>".encode()), "x")


def test_sources_are_due_by_their_interval_or_a_harvest_left_half_way():
    now = datetime.datetime(2026, 11, 20, 12, tzinfo=datetime.timezone.utc)
    source = OaiSource(interval_hours=24, active=True, last_started=None)
    assert source.due(now)
    source.last_started = now - datetime.timedelta(hours=3)
    assert not source.due(now)
    source.resumption_token = "t:2:"
    assert source.due(now)
    source.resumption_token, source.last_started = None, now - datetime.timedelta(hours=25)
    assert source.due(now)
    source.interval_hours = 0                     # on demand only
    assert not source.due(now)


def test_one_source_is_harvested_by_one_process_at_a_time(sql_url):
    engine = db.make_engine({"sqlalchemy.url": sql_url})
    db.upgrade(engine)
    factory = db.session_factory(engine)
    with factory() as session:
        source_id = make_source(session).id
        assert claim(session, source_id)
        session.commit()
        assert not claim(session, source_id)
    provider = Provider()
    assert run_harvest(factory, source_id, transport=httpx.MockTransport(provider)) is None
    assert provider.requests == []
    engine.dispose()


def test_the_harvest_command(tmp_path, sql_url):
    ini = tmp_path / "test.ini"
    ini.write_text(f"[app:main]\nuse = egg:serepok\nsqlalchemy.url = {sql_url}\n")
    engine = db.make_engine({"sqlalchemy.url": sql_url})
    db.upgrade(engine)
    with db.session_factory(engine)() as session:
        make_source(session)
    engine.dispose()
    provider = Provider()
    provider.add(1, "Đất Tây Nguyên")

    import argparse
    parser = argparse.ArgumentParser()
    add_harvest(parser.add_subparsers())
    out, err = io.StringIO(), io.StringIO()
    status = cmd_harvest(parser.parse_args(["harvest", str(ini), "--due"]), out, err,
                         transport=httpx.MockTransport(provider))
    assert status == 0 and "Tạo mới / created: 1" in out.getvalue()
    engine = db.make_engine({"sqlalchemy.url": sql_url})
    with db.session_factory(engine)() as session:     # what the run left in the store
        source = session.scalars(select(OaiSource)).one()
        assert (source.last_status, source.last_datestamp, source.running_since) == (
            "ok", "2026-11-20T10:00:00Z", None)
    engine.dispose()
    status = cmd_harvest(parser.parse_args(["harvest", str(ini), "--due"]), out, err,
                         transport=httpx.MockTransport(provider))
    assert status == 0 and "nothing to harvest" in out.getvalue()     # not due again yet
    status = cmd_harvest(parser.parse_args(["harvest", str(ini), "--source", "khong-co"]),
                         out, err)
    assert status == 2 and "khong-co" in err.getvalue()


def test_run_due_harvests_on_schedule_into_the_union_catalogue(tmp_path, sql_url):
    """What the background worker calls every ``serepok.harvest.check_minutes``."""
    from federation.index import search_index_from_settings
    from federation.records import SearchQuery
    from ils.harvest import check_seconds, run_due

    settings = {"sqlalchemy.url": sql_url, "serepok.var": str(tmp_path),
                "federation.sites": "bmt tuy-hoa"}
    engine = db.make_engine(settings)
    db.upgrade(engine)
    with db.session_factory(engine)() as session:
        make_source(session)
        on_demand = make_source(session, name="on-demand")
        on_demand.interval_hours = 0            # harvested only when staff ask
        session.commit()
    engine.dispose()
    provider = Provider()
    provider.add(1, "Đất Tây Nguyên")
    transport = httpx.MockTransport(provider)
    assert run_due(settings, transport=transport) == (
        "Đã thu thập 1 nguồn.", "Harvested 1 sources.")
    # harvested, merged and searchable without anyone running `serepok reindex`
    index = search_index_from_settings(settings)
    try:
        [hit] = index.search(SearchQuery(text="dat tay nguyen")).hits
        assert hit.record.title == "Đất Tây Nguyên"
    finally:
        index.close()
    asked = len(provider.requests)
    assert run_due(settings, transport=transport)[1] == "No source was due for harvesting."
    assert len(provider.requests) == asked          # the peer was not asked again
    assert check_seconds({}) == 15 * 60
    assert check_seconds({"serepok.harvest.check_minutes": "5"}) == 300
    assert check_seconds({"serepok.harvest.check_minutes": "0"}) == 60
