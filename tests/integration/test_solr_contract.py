"""The Solr backend honours the search-index contract, on a real SolrCloud
(two nodes, one shard with a replica on each) started by ``scripts/solr-test``."""
import pytest

from federation.solr.index import SolrIndex
from tests.contract.search_index_contract import SearchIndexContract

COLLECTION = "contract"


@pytest.fixture(scope="module")
def solr_collection(solr_cluster):
    admin = solr_cluster.admin()
    admin.delete_collection(COLLECTION)
    admin.setup(COLLECTION, shards=1, replicas=2)
    yield COLLECTION
    admin.delete_collection(COLLECTION)


class TestSolrIndex(SearchIndexContract):

    @pytest.fixture(params=["base-urls", "zookeeper"])
    def search_index(self, request, solr_cluster, solr_collection):
        if request.param == "zookeeper":
            index = SolrIndex(zk_hosts=solr_cluster.zk, collection=solr_collection)
        else:
            index = SolrIndex(urls=solr_cluster.urls, collection=solr_collection)
        index.clear()
        yield index
        index.close()

    def test_a_hit_found_by_its_full_text_shows_where(self, index):
        """As the embedded index does: a snippet of the OCR text around the words."""
        from federation.records import SearchQuery
        hit = index.search(SearchQuery(text="nữ thần mặt trời")).hits[0]
        assert hit.id == "damsan"
        assert "<mark>Nữ</mark> <mark>Thần</mark> <mark>Mặt</mark> <mark>Trời</mark>" in \
            hit.highlights["full_text"]
        assert "full_text" not in index.search(SearchQuery(text="lịch sử")).hits[0].highlights

    @pytest.mark.parametrize("text", ["id:lstn", "{!join from=id to=id}lstn", "{!lucene}*:*",
                                      '_query_:"{!func}1"', "all_f:lich", "lstn^=1000"])
    def test_query_syntax_typed_by_a_reader_finds_only_its_words(self, index, text):
        """Solr syntax in the search box is words like any other: nothing here
        holds "lstn", "join", "lucene", "func" or "all_f"."""
        from federation.records import SearchQuery
        assert index.search(SearchQuery(text=text)).total == 0
