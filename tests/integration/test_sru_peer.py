"""sruthi, an SRU client we did not write, queries our /sru over HTTP.

sruthi speaks SRU 1.2 (``version=1.2``, the ``zing/srw`` namespaces), which
the server answers in that form; its explain parser reads our ZeeRex record.
The catalogue is ``provider_support``'s (both sites and a commune library).
"""
import pytest
import sruthi

from tests.functional.provider_support import (  # noqa: F401 (union_catalogue: a fixture)
    COMMUNE, union_catalogue)


@pytest.fixture
def url(live_server, union_catalogue):
    return live_server.url + "/sru"


def control_number(record):
    for field in record.get("controlfield") or ():
        if isinstance(field, dict) and field.get("tag") == "001":
            return field.get("text")
    return None


def test_explain(url):
    info = sruthi.explain(url)
    assert info.sru_version == "1.2"
    assert info.server["host"] == "127.0.0.1"
    assert {"title", "creator", "subject"} <= set(info.index["dc"])
    assert "isbn" in info.index["bath"]
    assert set(info.schema) == {"marcxml", "dc"}
    assert info.config["maximumRecords"] == 100
    assert info.config["defaults"]["numberOfRecords"] == 10
    assert "Đắk Lắk" in info.database["title"]


def test_search_in_marcxml_through_every_page(url, union_catalogue):
    records = sruthi.searchretrieve(url, query="cql.allRecords=1", maximum_records=3,
                                    record_schema="marcxml")
    assert records.count == len(union_catalogue.live)
    found = list(records)            # sruthi follows nextRecordPosition
    assert len(found) == len(union_catalogue.live)
    assert all(r["schema"] == "info:srw/schema/1/marcxml-v1.1" for r in found)
    numbers = {control_number(r) for r in found}
    assert {"bmt-0001", "bmt-0004", "th-0001", "th-0002", "eakao-02"} <= numbers
    assert "th-0003" not in numbers          # deleted


def test_search_in_dublin_core(url):
    records = sruthi.searchretrieve(url, query='dc.title="lich su tay nguyen"',
                                    record_schema="dc")
    # the imported book and the demo desk's sample copy both carry the title
    assert records.count == 2
    assert all(r["schema"] == "info:srw/schema/1/dc-v1.1" for r in records)
    assert all(r["title"].startswith("Lịch sử Tây Nguyên") for r in records)
    assert "Nguyễn Văn Khoa" in {r["creator"] for r in records}


def test_cql_booleans_and_isbn(url, union_catalogue):
    both = sruthi.searchretrieve(url, query='isbn=978-604-1-20001-2 or author="Y Khem"',
                                 record_schema="marcxml")
    assert {control_number(r) for r in both} == {"bmt-0001", "eakao-02"}
    commune = sruthi.searchretrieve(url, query=f"library={COMMUNE} not title=\"cà phê\"",
                                    record_schema="marcxml")
    assert [control_number(r) for r in commune] == ["eakao-02"]


def test_a_bad_query_is_an_sru_error_with_a_message(url):
    with pytest.raises(sruthi.SruError) as error:
        sruthi.searchretrieve(url, query="title=dak*")
    assert "info:srw/diagnostic/1/28" in str(error.value)
    assert "Wildcards" in str(error.value)
    with pytest.raises(sruthi.SruError) as error:
        sruthi.searchretrieve(url, query="dak lak")
    assert "info:srw/diagnostic/1/10" in str(error.value)
