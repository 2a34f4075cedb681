"""Evolve steps run once, in order, and may run again without harm; reindex rebuilds."""
from hypatia.text import TextIndex

from repository import evolve
from repository.catalog import INDEXES
from repository.services import reindex_site

from .conftest import ANONYMOUS, BMT_LIBRARIAN, READER, titles

QUERIES = ["dak lak", "Đắk Lắk", "ca phe", "ban thao", "su thi"]


def snapshot(search, site):
    """What readers and staff see: searches, listings and sort orders."""
    out = []
    for principals in (ANONYMOUS, READER, BMT_LIBRARIAN):
        for q in QUERIES:
            out.append(titles(search.search(site, text=q, principals=principals)))
        out.append(titles(search.search(site, principals=principals, sort="title", limit=100)))
        out.append(titles(search.search(site, parent="/bmt/dia-chi", principals=principals)))
        out.append(titles(search.search(site, path="/bmt/dia-chi", principals=principals)))
    return out


def fill(service, collection, add_item):
    add_item("Đắk Lắk xưa và nay")
    add_item("Cà phê Buôn Ma Thuột")
    add_item("Bản thảo chưa công bố", publish=False)
    sub, _e = service.add(collection, "Collection", {"title": "Sử thi"})
    add_item("Sử thi Đam San", container=sub)
    service.transition(sub, "share_internally")


def test_reindex_site_gives_the_same_results(service, collection, add_item, root, search):
    fill(service, collection, add_item)
    site = root["bmt"]
    before = snapshot(search, site)
    assert any(before)
    assert reindex_site(site) == 6            # two collections, four items
    assert snapshot(search, site) == before


def test_reindex_site_rebuilds_a_lost_catalogue(service, collection, add_item, root, search):
    fill(service, collection, add_item)
    site = root["bmt"]
    before = snapshot(search, site)
    site.catalog = None
    assert search.search(site, text="dak lak") == (0, [])
    reindex_site(site)
    assert snapshot(search, site) == before


def test_evolve_runs_each_step_once(root, monkeypatch):
    calls = []
    steps = [lambda r: calls.append("a"), lambda r: calls.append("b")]
    monkeypatch.setattr(evolve, "STEPS", steps)
    assert evolve.evolve(root) == [1, 2]
    assert evolve.evolve(root) == []
    assert calls == ["a", "b"] and root.evolve_generation == 2
    steps.append(lambda r: calls.append("c"))             # a new release adds a step
    assert evolve.evolve(root) == [3]
    assert calls == ["a", "b", "c"]


def test_real_steps_bring_an_old_site_up_to_date_and_are_idempotent(
        service, collection, add_item, root, search):
    fill(service, collection, add_item)
    site = root["bmt"]
    expected = snapshot(search, site)
    # a site saved by an older version: no title_sort index, an object without history
    del site.catalog.catalog["title_sort"]
    obj = collection["ca-phe-buon-ma-thuot"]
    del obj.__dict__["workflow_history"]
    assert evolve.evolve(root) == list(range(1, len(evolve.STEPS) + 1))
    assert "title_sort" in site.catalog.catalog
    assert obj.__dict__["workflow_history"] == ()
    assert snapshot(search, site) == expected
    for step in evolve.STEPS:            # every step may run again without harm
        step(root)
    assert snapshot(search, site) == expected
    assert evolve.evolve(root) == []


def test_a_site_without_catalogue_gets_one(root, search, service):
    site = root["tuy-hoa"]
    coll, _e = service.add(site, "Collection", {"title": "Địa chí Phú Yên"})
    service.transition(coll, "publish")
    site.catalog = None
    evolve.step_1_site_catalogues(root)
    assert isinstance(site.catalog.catalog["text"], TextIndex)
    assert set(site.catalog.catalog) == set(INDEXES)
    assert titles(search.search(site, text="phu yen", principals=ANONYMOUS)) == ["Địa chí Phú Yên"]
