"""``serepok solr setup`` and ``serepok reindex --backend solr --index-only``
on the real SolrCloud of scripts/solr-test."""
import pytest
from sqlalchemy import insert

from federation.models import UnionRecord, utcnow
from federation.records import Holding, Record, SearchQuery
from federation.solr.index import SolrIndex
from portal.cli import main


@pytest.fixture
def ini(tmp_path, solr_cluster):
    path = tmp_path / "solr.ini"
    path.write_text(f"""[app:main]
use = egg:serepok
sqlalchemy.url = sqlite:///{tmp_path}/serepok.sqlite
serepok.var = {tmp_path}/var
search.backend = solr
search.solr_zk_hosts = {solr_cluster.zk}
search.solr_collection = clitest
""", encoding="utf-8")
    yield str(path)
    solr_cluster.admin().delete_collection("clitest")


def test_setup_creates_then_updates_the_collection(ini, solr_cluster, capsys):
    solr_cluster.admin().delete_collection("clitest")
    assert main(["solr", "setup", ini, "--shards", "2", "--replicas", "1"]) == 0
    assert "created" in capsys.readouterr().out
    shards = solr_cluster.admin().cluster_status("clitest")["collections"]["clitest"]["shards"]
    assert len(shards) == 2
    assert main(["solr", "setup", ini]) == 0          # again: configset uploaded, reloaded
    assert "configset updated" in capsys.readouterr().out


def test_reindex_index_only_fills_the_collection_from_the_store(ini, solr_cluster, tmp_path,
                                                               capsys):
    from ils import db
    solr_cluster.admin().delete_collection("clitest")
    assert main(["solr", "setup", ini, "--replicas", "1"]) == 0
    engine = db.make_engine({"sqlalchemy.url": f"sqlite:///{tmp_path}/serepok.sqlite"})
    db.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(insert(UnionRecord), [
            {"id": f"u{n}", "merge_key": f"u{n}", "fingerprint": "", "datestamp": utcnow(),
             "deleted": n == 4, "record": Record(id=f"u{n}", title=f"Sử thi số {n}",
                                                 holdings=[Holding("bmt")]).to_dict(False)}
            for n in range(5)])
    engine.dispose()
    assert main(["reindex", ini, "--backend", "solr", "--index-only", "--quiet",
                 "--batch-size", "2"]) == 0
    assert "Solr: 4" in capsys.readouterr().out
    index = SolrIndex(zk_hosts=solr_cluster.zk, collection="clitest")
    try:
        assert index.search(SearchQuery(text="su thi")).total == 4
    finally:
        index.close()
    assert not (tmp_path / "var" / "solr-reindex-clitest.json").exists()
