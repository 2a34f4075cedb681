"""Sickle, an OAI-PMH harvester we did not write, harvests our /oai over HTTP.

The portal runs on a real server (waitress, ``live_server``) with the union
catalogue of ``provider_support`` (MARC of both sites and of a commune
library, merged, one record deleted, datestamps spread out); pages hold 4
records, so a harvest follows several resumption tokens.
"""
import io

import pymarc
import pytest
from sickle import Sickle
from sickle.oaiexceptions import (BadArgument, BadResumptionToken, CannotDisseminateFormat,
                                  IdDoesNotExist, NoRecordsMatch)

from tests.functional.provider_support import (  # noqa: F401 (union_catalogue: a fixture)
    COMMUNE, COMMUNE_NAME, REPOSITORY_ID, union_catalogue, union_id_of)

PAGE = 4


@pytest.fixture
def settings(settings):
    return dict(settings, **{"oai.page_size": str(PAGE)})


@pytest.fixture
def harvester(live_server, union_catalogue):
    return Sickle(live_server.url + "/oai", max_retries=0, timeout=30)


def test_identify(harvester, live_server):
    identify = harvester.Identify()
    assert identify.baseURL == live_server.url + "/oai"
    assert identify.protocolVersion == "2.0"
    assert identify.deletedRecord == "persistent"
    assert identify.granularity == "YYYY-MM-DDThh:mm:ssZ"
    assert identify.earliestDatestamp == "2024-01-15T10:00:00Z"


@pytest.mark.parametrize("prefix", ["oai_dc", "marc21"])
def test_a_complete_harvest_in_both_formats(harvester, union_catalogue, prefix):
    records = list(harvester.ListRecords(metadataPrefix=prefix, ignore_deleted=False))
    ids = [union_id_of(r.header.identifier) for r in records]
    assert len(ids) == len(set(ids)) == len(union_catalogue.all)
    assert set(ids) == union_catalogue.all
    assert len(records) > 2 * PAGE          # several resumption tokens were followed
    deleted = [r for r in records if r.header.deleted]
    assert [union_id_of(r.header.identifier) for r in deleted] == [union_catalogue.deleted]
    live = [r for r in records if not r.header.deleted]
    if prefix == "oai_dc":
        titles = {t for r in live for t in r.metadata.get("title", [])}
        assert any(t.startswith("Lịch sử Tây Nguyên") for t in titles)
        assert "Truyện cổ Ê Đê" in titles
    else:
        marc = [pymarc.parse_xml_to_array(io.StringIO(r.raw), strict=True)[0] for r in live]
        numbers = {m["001"].data for m in marc if m["001"]}
        assert {"bmt-0001", "bmt-0002", "th-0001", "th-0002", "eakao-02"} <= numbers
        assert "bmt-0004" in numbers and "eakao-01" not in numbers      # one merged record
        assert all(m.title for m in marc)


def test_deleted_records_are_skipped_when_the_harvester_asks(harvester, union_catalogue):
    records = list(harvester.ListRecords(metadataPrefix="oai_dc", ignore_deleted=True))
    assert {union_id_of(r.header.identifier) for r in records} == union_catalogue.live


def test_identifiers_and_one_record(harvester, union_catalogue):
    headers = list(harvester.ListIdentifiers(metadataPrefix="marc21", ignore_deleted=False))
    assert {union_id_of(h.identifier) for h in headers} == union_catalogue.all
    record = harvester.GetRecord(identifier=union_catalogue.oai_id("bmt-0001"),
                                 metadataPrefix="marc21")
    marc = pymarc.parse_xml_to_array(io.StringIO(record.raw), strict=True)[0]
    assert marc["001"].data == "bmt-0001"
    assert marc["245"]["a"].startswith("Lịch sử Tây Nguyên")


def test_sets_per_site_and_per_library(harvester, union_catalogue):
    sets = {s.setSpec: s.setName for s in harvester.ListSets()}
    assert sets[f"library:{COMMUNE}"] == COMMUNE_NAME
    for spec in ("site:bmt", "site:tuy-hoa", f"library:{COMMUNE}", "site", "library"):
        headers = list(harvester.ListIdentifiers(metadataPrefix="oai_dc", set=spec,
                                                 ignore_deleted=False))
        assert {union_id_of(h.identifier) for h in headers} == union_catalogue.ids_in(spec)
    merged = union_catalogue.by_control_number["eakao-01"]
    header = next(h for h in harvester.ListIdentifiers(metadataPrefix="oai_dc",
                                                       set=f"library:{COMMUNE}")
                  if union_id_of(h.identifier) == merged)
    assert header.setSpecs == [f"library:{COMMUNE}", "site:bmt"]


def test_incremental_harvest_from_and_until(harvester, union_catalogue):
    def harvest(**params):
        return {union_id_of(h.identifier) for h in harvester.ListIdentifiers(
            metadataPrefix="oai_dc", ignore_deleted=False, **params)}
    bmt_only = {u for u, s in union_catalogue.sets.items() if s == ["site:bmt"]}
    assert harvest(**{"until": "2024-12-31"}) == bmt_only
    assert harvest(**{"from": "2024-01-16"}) == union_catalogue.all - bmt_only
    later = harvest(**{"from": "2025-06-01T08:30:01Z"})
    assert union_catalogue.deleted in later           # the partner hears of the deletion
    with pytest.raises(NoRecordsMatch):
        harvest(**{"from": "2030-01-01"})


def test_errors_reach_the_harvester_as_oai_errors(harvester):
    with pytest.raises(IdDoesNotExist):
        harvester.GetRecord(identifier=f"oai:{REPOSITORY_ID}:nothing", metadataPrefix="oai_dc")
    with pytest.raises(CannotDisseminateFormat):
        list(harvester.ListRecords(metadataPrefix="mods"))
    with pytest.raises(BadArgument):
        list(harvester.ListRecords(metadataPrefix="oai_dc", **{"from": "yesterday"}))
    with pytest.raises(BadResumptionToken):
        list(harvester.ListRecords(resumptionToken="not-a-token"))
