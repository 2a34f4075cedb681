"""IIIF Content Search 2.0 (and 1.0 for Mirador 4) over the OCR words of an item."""
from iiif_prezi3 import AnnotationPage

from tests.unit.iiif.support import add_item


def boxes(doc):
    return [a["target"].rsplit("#xywh=", 1)[1] for a in doc["items"]]


def test_folded_phrase_search_targets_word_boxes(testapp, portal):
    with portal() as p:
        uid, ids = add_item(p, pages=2)
    r = testapp.get(f"/iiif/search/{uid}", {"q": "dak lak"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    doc = r.json
    assert doc["@context"] == "http://iiif.io/api/search/2/context.json"
    assert doc["type"] == "AnnotationPage"
    AnnotationPage(**doc)                        # iiif-prezi3 accepts it as Presentation 3
    # page 1: "Đắk Lắk" on line 1, "Đắk" / "Lắk." across a line end, "Dak Lak";
    # page 2 holds the first three words only: "Tỉnh Đắk Lắk"
    assert doc["partOf"]["total"] == 4
    assert boxes(doc)[:3] == ["240,100,210,40", "870,160,100,40", "100,220,100,40"]
    assert all(a["motivation"] == "highlighting" for a in doc["items"])
    canvas = f"http://localhost/iiif/manifest/{uid}/canvas/{ids[0]}"
    assert doc["items"][0]["target"].startswith(canvas + "#xywh=")
    hits = doc["annotations"][0]["items"]
    across = hits[1]["target"]
    assert len(across) == 2                      # one hit, two boxes (two lines)
    assert across[0]["selector"][0]["prefix"].endswith("phủ của")


def test_exact_diacritics_rank_first(testapp, portal):
    with portal() as p:
        uid, _ = add_item(p, pages=1)
    plain = testapp.get(f"/iiif/search/{uid}", {"q": "Dak Lak"}).json
    assert plain["items"][0]["body"]["value"] == "Đắk Lắk"   # reading order
    exact = testapp.get(f"/iiif/search/{uid}", {"q": "Đắk Lắk"}).json
    assert exact["items"][-1]["body"]["value"] == "Dak Lak"  # different diacritics last


def test_no_hit_and_empty_query(testapp, portal):
    with portal() as p:
        uid, _ = add_item(p, pages=1)
    assert testapp.get(f"/iiif/search/{uid}", {"q": "không có"}).json["items"] == []
    assert testapp.get(f"/iiif/search/{uid}").json["items"] == []
    testapp.get("/iiif/search/nope", {"q": "x"}, status=404)


def test_search_1_for_mirador(testapp, portal):
    with portal() as p:
        uid, _ = add_item(p, pages=1)
    doc = testapp.get(f"/iiif/search/1/{uid}", {"q": "buon ma thuot"}).json
    assert doc["@type"] == "sc:AnnotationList" and doc["within"]["total"] == 1
    assert doc["resources"][0]["on"].endswith("#xywh=100,160,380,40")
    assert doc["hits"][0]["match"] == "Buôn Ma Thuột"
    terms = testapp.get(f"/iiif/autocomplete/1/{uid}", {"q": "thu"}).json["terms"]
    assert {t["match"] for t in terms} == {"thuột", "thủ"}


def test_autocomplete_suggests_words_as_written(testapp, portal):
    with portal() as p:
        uid, _ = add_item(p, pages=1)
    doc = testapp.get(f"/iiif/autocomplete/{uid}", {"q": "buon ma th"}).json
    assert doc["type"] == "TermPage"
    assert [i["value"] for i in doc["items"]] == ["buôn ma thuột"]
    words = testapp.get(f"/iiif/autocomplete/{uid}", {"q": "th"}).json["items"]
    assert {i["value"] for i in words} == {"thác", "thuột", "thủ"}
    assert testapp.get(f"/iiif/autocomplete/{uid}", {"q": "dak"}).json["items"][0] == {
        "value": "đắk", "total": 3, "service": [{
            "id": f"http://localhost/iiif/search/{uid}?q=%C4%91%E1%BA%AFk",
            "type": "SearchService2"}]}


def test_restricted_search_needs_a_token(testapp, portal):
    with portal() as p:
        uid, _ = add_item(p, pages=1, access="restricted")
    testapp.get(f"/iiif/search/{uid}", {"q": "dak"}, status=403)


def test_search_is_rate_limited(testapp, portal, app):
    from limits import parse
    with portal() as p:
        uid, _ = add_item(p, pages=1)
        p.request.find_service(name="ratelimit").rules["iiif_search"] = parse("3/minute")
    for _ in range(3):
        testapp.get(f"/iiif/search/{uid}", {"q": "dak"})
    r = testapp.get(f"/iiif/search/{uid}", {"q": "dak"}, status=429)
    assert r.headers["Retry-After"] == "60"


def test_many_hits_are_paged(testapp, portal, monkeypatch):
    import iiif.search
    monkeypatch.setattr(iiif.search, "PAGE_SIZE", 2)
    with portal() as p:
        uid, _ = add_item(p, pages=2)
    first = testapp.get(f"/iiif/search/{uid}", {"q": "dak"}).json
    assert first["partOf"]["total"] == 4 and first["startIndex"] == 0
    assert len(first["annotations"][0]["items"]) == 2
    second = testapp.get(first["next"]["id"].replace("http://localhost", "")).json
    assert second["startIndex"] == 2 and second["id"] == first["next"]["id"]
    last = testapp.get(first["partOf"]["last"]["id"].replace("http://localhost", "")).json
    assert "next" not in last and last["id"] == second["id"]
