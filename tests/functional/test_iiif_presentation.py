"""IIIF Presentation 3.0 manifests and collections, loaded back into iiif-prezi3."""
from iiif_prezi3 import Collection, Manifest

from tests.conftest import sign_in
from tests.unit.iiif.support import add_item


def test_manifest_is_valid_and_complete(testapp, portal):
    with portal() as p:
        uid, ids = add_item(p, rights="http://creativecommons.org/licenses/by/4.0/")
    r = testapp.get(f"/iiif/manifest/{uid}", headers={"Accept": "application/ld+json"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert r.headers["Content-Type"] == (
        'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"')
    doc = r.json
    Manifest(**doc)                                   # iiif-prezi3 validates it
    assert doc["label"] == {"vi": ["Địa chí Đắk Lắk"], "en": ["Địa chí Đắk Lắk"]}
    labels = {m["label"]["en"][0]: m for m in doc["metadata"]}
    assert labels["Authors"]["label"]["vi"] == ["Tác giả"]
    assert labels["Authors"]["value"]["vi"] == ["Nguyễn Văn A"]
    assert doc["rights"] == "http://creativecommons.org/licenses/by/4.0/"
    assert doc["requiredStatement"]["value"]["vi"] == ["Thư viện tỉnh Đắk Lắk"]
    assert [c["id"].rsplit("/", 1)[1] for c in doc["items"]] == ids
    canvas = doc["items"][0]
    assert (canvas["width"], canvas["height"]) == (1200, 1700)
    service = canvas["items"][0]["items"][0]["body"]["service"][0]
    assert service == {"id": f"http://localhost/iiif/3/{uid}~{ids[0]}",
                       "type": "ImageService3", "profile": "level2"}
    thumb = testapp.get(doc["thumbnail"][0]["id"].replace("http://localhost", ""))
    assert thumb.content_type == "image/jpeg"
    types = {s["type"]: s for s in doc["service"]}
    assert types["SearchService2"]["id"] == f"http://localhost/iiif/search/{uid}"
    assert types["SearchService2"]["service"][0]["type"] == "AutoCompleteService2"
    assert types["SearchService1"]["profile"] == "http://iiif.io/api/search/1/search"
    assert testapp.get(canvas["id"].replace("http://localhost", ""), status=303)
    # seeAlso: the union-catalogue record page, its Dublin Core and MARC 21 over OAI-PMH
    record, dc, marc = doc["seeAlso"]
    assert record["id"].startswith("http://localhost/record/")
    assert "Địa chí Đắk Lắk" in testapp.get(record["id"].replace("http://localhost", "")).text
    assert "<dc:title>Địa chí Đắk Lắk</dc:title>" in testapp.get(
        dc["id"].replace("http://localhost", "")).text
    marcxml = testapp.get(marc["id"].replace("http://localhost", "")).text
    assert "http://www.loc.gov/MARC21/slim" in marcxml and "Địa chí Đắk Lắk" in marcxml


def test_free_text_rights_go_to_metadata_not_rights(testapp, portal):
    with portal() as p:
        uid, _ = add_item(p, rights="Chỉ dùng cho nghiên cứu")
    doc = testapp.get(f"/iiif/manifest/{uid}").json
    assert "rights" not in doc
    assert any(m["value"]["vi"] == ["Chỉ dùng cho nghiên cứu"] for m in doc["metadata"])


def test_collections_list_what_the_reader_may_see(testapp, portal, make_user):
    with portal() as p:
        public_uid, _ = add_item(p, title="Công khai")
        draft_uid, _ = add_item(p, title="Bản nháp", state="private")
        restricted_uid, _ = add_item(p, title="Hạn chế", access="restricted")
        collection_uid = p.root["bmt"]["so-hoa"].uid
    response = testapp.get("/iiif/collection/site/bmt")
    assert "public" in response.headers["Cache-Control"]
    site = response.json
    Collection(**site)
    assert [i["id"] for i in site["items"]] == [
        f"http://localhost/iiif/collection/{collection_uid}"]
    coll = testapp.get(f"/iiif/collection/{collection_uid}").json
    Collection(**coll)
    manifests = [i["id"] for i in coll["items"] if i["type"] == "Manifest"]
    assert manifests == [f"http://localhost/iiif/manifest/{public_uid}"]
    for ref in coll["items"]:
        Manifest(**testapp.get(ref["id"].replace("http://localhost", "")).json)
    make_user("thuthu", site_roles=[("bmt", "Librarian")])
    sign_in(testapp, "thuthu")
    coll = testapp.get(f"/iiif/collection/{collection_uid}").json
    listed = [i["id"] for i in coll["items"]]
    private = testapp.get(f"/iiif/collection/{collection_uid}")
    assert "private" in private.headers["Cache-Control"]     # never in a shared cache
    assert f"http://localhost/iiif/manifest/{draft_uid}" in listed
    assert f"http://localhost/iiif/manifest/{restricted_uid}" in listed
    testapp.get("/iiif/collection/site/nowhere", status=404)
    testapp.get("/iiif/collection/0000", status=404)
