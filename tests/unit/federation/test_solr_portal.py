"""With Solr down, the portal's search pages answer 503 in Vietnamese (and
English on request) while every other page keeps working. No Solr needed:
the settings point at a port where nothing listens."""
import socket

import pytest


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def settings(settings):
    return {**settings, "search.backend": "solr", "search.solr_timeout": "2",
            "search.solr_url": f"http://127.0.0.1:{closed_port()}/solr"}


def test_the_search_page_says_search_is_unavailable(testapp):
    page = testapp.get("/search", {"q": "lịch sử"}, status=503)
    assert "Tìm kiếm tạm thời không dùng được" in page.text
    assert page.headers["Retry-After"] == "30"
    english = testapp.get("/search", {"q": "lịch sử", "_LOCALE_": "en"}, status=503)
    assert "Search is temporarily unavailable" in english.text


def test_the_rest_of_the_portal_keeps_working(testapp):
    testapp.get("/search", {"q": "x"}, status=503)
    assert testapp.get("/", status=200)
    assert testapp.get("/login", status=200)


def test_suggestions_and_the_api_answer_503_in_their_format(testapp):
    suggest = testapp.get("/search/suggest", {"q": "lich"}, status=503)
    assert suggest.json == ["lich", []]
    api = testapp.get("/api/v1/records", {"q": "lich"}, status=503)
    assert api.json["error"]["type"] == "SearchUnavailable"
