"""The background worker's harvest: ``ils.harvest.run_due(request)`` inside the
portal harvests the due sources and the union catalogue shows their records."""
import httpx

from federation.records import SearchQuery
from tests.unit.ils.test_harvest import Provider, make_source


def test_run_due_inside_the_portal_reaches_its_search_index(app, portal, sql_backend):
    from ils.harvest import run_due
    with portal() as p:
        assert run_due(p.request) == ("Không có nguồn nào đến hạn thu thập.",
                                      "No source was due for harvesting.")
    with app.registry["dbsession_factory"]() as session:    # staff registered a partner
        make_source(session)
    provider = Provider()
    provider.add(1, "Đất Tây Nguyên")
    with portal() as p:
        assert run_due(p.request, transport=httpx.MockTransport(provider)) == (
            "Đã thu thập 1 nguồn.", "Harvested 1 sources.")
    index = app.registry["federation.search_index"]()
    [hit] = index.search(SearchQuery(text="dat tay nguyen")).hits
    assert hit.record.title == "Đất Tây Nguyên"
