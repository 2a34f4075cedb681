"""The Solr backend's query building and failure handling, without a Solr."""
import re
import socket

import pytest

from federation.records import SearchQuery
from federation.solr.index import SolrIndex
from federation.solr.query import search_params
from federation.solr.unavailable import SearchUnavailable
from tests.contract.search_index_contract import HOSTILE

# Everything ``q`` and ``fq`` may contain: our clauses, with the reader's
# words only behind parameter references ($t0, $e1…).
CLAUSE = re.compile(
    r"\*:\*"
    r"|\+\{!(?:term|field) f=(?:all_f|title_f|author_f|subject_f|isbn) v=\$t\d+\}"
    r"|\(\{!term f=all_e v=\$e\d+\}\)\^=1000"
    r"|\{!term f=title_f v=\$b\d+\}\^1\.5"
    r"|\{!field f=title_f v=\$p0\}\^6")
FILTER = re.compile(
    r"\{!terms tag=([a-z]+) f=f_\1 separator=\$sep v=\$f\d+\}"
    r"|\{!tag=available\}f_available:\[\* TO \*\]"
    r"|(?:\{!tag=year\})?year:\[(?:\*|\d+) TO (?:\*|\d+)\]"
    r"(?: OR year:\[(?:\*|\d+) TO (?:\*|\d+)\])*")


def params_of(text, **kw):
    params, _parsed = search_params(SearchQuery(text=text, **kw), kw.get("sort", "relevance"),
                                    0, 20)
    return params


@pytest.mark.parametrize("text", HOSTILE + [
    "{!join from=id to=id}x", "_query_:\"{!func}1\"", "id:* OR *:*", "lịch sử $t0 ${t1}",
    "title:(a OR b)", "+a -b", "a && b || c", "x^=100 y~2", "{!xmlparser v='<x/>'}",
])
def test_reader_text_never_reaches_solr_as_syntax(text):
    params = params_of(text, filters={"subject": [text[:50] or "x"], "year": ["-1944"]})
    clause = CLAUSE.pattern
    assert re.fullmatch(f"(?:{clause})(?: (?:{clause}))*", params["q"]), params["q"]
    assert all(FILTER.fullmatch(f) for f in params["fq"]), params["fq"]


def test_words_travel_as_parameters_folded_and_exact():
    params = params_of('Đắk Lắk "tây nguyên" tacgia:Trần')
    assert params["t0"] == "dak" and params["t1"] == "lak"
    assert params["t2"] == "tay nguyen" and "{!field f=all_f v=$t2}" in params["q"]
    assert "+{!term f=author_f v=$t3}" in params["q"] and params["t3"] == "tran"
    assert {params["e0"], params["e1"], params["e2"], params["e3"], params["e4"]} == {
        "đắk", "lắk", "tây", "nguyên", "trần"}


def test_words_without_diacritics_make_no_exact_tier():
    params = params_of("dak lak")
    assert not any(key.startswith("e") for key in params)


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_solr_not_answering_is_search_unavailable_in_both_languages():
    index = SolrIndex(urls=[f"http://127.0.0.1:{closed_port()}/solr"], timeout=2)
    for call in (lambda: index.search(SearchQuery(text="lịch sử")), index.count,
                 lambda: index.get("x"), lambda: index.suggest("lich"),
                 lambda: index.index([]) or index.delete(["x"])):
        with pytest.raises(SearchUnavailable) as caught:
            call()
        assert "Tìm kiếm tạm thời không dùng được" in str(caught.value)
        assert "Search is temporarily unavailable" in str(caught.value)
    assert index.ping() is False


def test_settings_choose_solr():
    from federation.index import search_index_from_settings
    index = search_index_from_settings({"search.backend": "solr",
                                        "search.solr_url": "http://a:8983/solr http://b:8983/solr",
                                        "search.solr_collection": "union"})
    assert isinstance(index, SolrIndex)
    assert [c.url for c in index.nodes.clients] == ["http://a:8983/solr/union",
                                                    "http://b:8983/solr/union"]
    with pytest.raises(ValueError):
        search_index_from_settings({"search.backend": "solr"})
