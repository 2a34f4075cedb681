"""IIIF Image API 3.0 over the real app: pixels, errors, caching, CORS, who may see what."""
import io
import time

import pytest
from PIL import Image

from tests.conftest import sign_in
from tests.unit.iiif.support import add_item, ensure_site, validator_image

# the validator's colour grid: square (column x, row y) has colours[x][y]
from iiif_validator.validator import ValidationInfo

COLOURS = ValidationInfo().colorInfo


@pytest.fixture
def grid(testapp, portal):
    """A published, open item whose page is the validator's 1000 × 1000 colour grid."""
    with portal() as p:
        uid, ids = add_item(p, pages=1, image=validator_image(), size=(1000, 1000))
    return f"/iiif/3/{uid}~{ids[0]}"


def pixel(body, x, y):
    return Image.open(io.BytesIO(body)).convert("RGB").getpixel((x, y))


def close(a, b, tolerance=12):
    return all(abs(p - q) <= tolerance for p, q in zip(a, b))


def test_info_json_declares_what_is_served(testapp, grid):
    r = testapp.get(grid + "/info.json")
    assert r.content_type == "application/json"
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    info = r.json
    assert info["id"] == "http://localhost" + grid
    assert (info["type"], info["profile"]) == ("ImageService3", "level2")
    assert (info["width"], info["height"]) == (1000, 1000)
    assert info["tiles"] == [{"width": 512, "height": 512, "scaleFactors": [1, 2]}]
    assert info["maxArea"] <= 4096 * 4096 and info["maxWidth"] and info["maxHeight"]
    assert set(info["extraQualities"]) == {"color", "gray", "bitonal"}
    assert info["extraFormats"] == ["webp"]
    assert {"width": 1000, "height": 1000} in info["sizes"]
    ld = testapp.get(grid + "/info.json", headers={"Accept": "application/ld+json"})
    assert ld.headers["Content-Type"] == (
        'application/ld+json;profile="http://iiif.io/api/image/3/context.json"')


def test_base_uri_redirects_to_info_json(testapp, grid):
    r = testapp.get(grid, status=303)
    assert r.location == "http://localhost" + grid + "/info.json"


@pytest.mark.parametrize("region,size,probe,square", [
    ("full", "max", (150, 250), (1, 2)),
    ("200,300,300,300", "max", (50, 50), (2, 3)),
    ("pct:50,50,50,50", "250,", (10, 10), (5, 5)),
    ("square", "!100,100", (95, 5), (9, 0)),
    ("full", "pct:10", (15, 95), (1, 9)),
])
def test_regions_and_sizes_cut_the_right_pixels(testapp, grid, region, size, probe, square):
    r = testapp.get(f"{grid}/{region}/{size}/0/default.png")
    assert r.content_type == "image/png"
    x, y = square
    assert close(pixel(r.body, *probe), COLOURS[x][y])


def test_sizes_rotation_mirroring_and_quality(testapp, grid):
    img = Image.open(io.BytesIO(testapp.get(f"{grid}/0,0,200,100/100,/90/default.png").body))
    assert img.size == (50, 100)        # rotated: the 2:1 region stands upright
    assert close(img.convert("RGB").getpixel((25, 10)), COLOURS[0][0])
    assert close(img.convert("RGB").getpixel((25, 90)), COLOURS[1][0])
    mirrored = testapp.get(f"{grid}/0,0,200,100/200,100/!0/default.png").body
    assert close(pixel(mirrored, 10, 50), COLOURS[1][0])
    gray = Image.open(io.BytesIO(testapp.get(f"{grid}/full/100,/0/gray.jpg").body))
    assert gray.mode == "L"
    bitonal = Image.open(io.BytesIO(testapp.get(f"{grid}/full/100,/0/bitonal.png").body))
    assert set(bitonal.getdata()) <= {0, 255}
    webp = testapp.get(f"{grid}/full/100,/0/default.webp")
    assert webp.content_type == "image/webp" and webp.body[8:12] == b"WEBP"
    up = testapp.get(f"{grid}/0,0,100,100/^300,/0/default.jpg")
    assert Image.open(io.BytesIO(up.body)).size == (300, 300)


@pytest.mark.parametrize("path,status", [
    ("/full/max/0/default.gif", 501),          # a format the specification names
    ("/full/max/0/default.xyz", 400),
    ("/full/max/45/default.jpg", 501),         # arbitrary rotation is not claimed
    ("/full/max/400/default.jpg", 400),
    ("/full/max/-90/default.jpg", 400),
    ("/full/max/0/sepia.jpg", 400),
    ("/2000,0,10,10/max/0/default.jpg", 400),  # entirely outside the image
    ("/0,0,0,10/max/0/default.jpg", 400),
    ("/nonsense/max/0/default.jpg", 400),
    ("/full/2000,/0/default.jpg", 400),        # upscaling without ^
    ("/full/pct:150/0/default.jpg", 400),
    ("/full/!2000,3000/0/default.jpg", 400),
    ("/full/0,/0/default.jpg", 400),
    ("/full/^20000,/0/default.jpg", 400),      # above maxWidth / maxArea: refused
    ("/full/max/0/default", 400),
])
def test_bad_requests_get_the_status_the_spec_names(testapp, grid, path, status):
    r = testapp.get(grid + path, status=status)
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "/" in r.text                     # Vietnamese / English message


def test_unknown_identifiers_are_404(testapp, grid):
    uid = grid.split("/")[-1].split("~")[0]
    testapp.get(f"/iiif/3/{uid}~nosuchcanvas/info.json", status=404)
    testapp.get("/iiif/3/0123456789abcdef~x/full/max/0/default.jpg", status=404)
    testapp.get("/iiif/3/just-a-name/info.json", status=404)


def test_etag_cache_control_304_and_tile_cache(testapp, grid, app):
    url = f"{grid}/0,0,500,500/250,/0/default.jpg"      # not a stored tile: rendered
    first = testapp.get(url)
    assert set(first.headers["Cache-Control"].split(", ")) == {"public", "max-age=86400"}
    etag = first.headers["ETag"]
    assert 'rel="canonical"' in first.headers["Link"]
    again = testapp.get(url, headers={"If-None-Match": etag}, status=304)
    assert again.body == b""
    from iiif.interfaces import IImageServer
    cache = app.registry.getUtility(IImageServer).cache
    assert cache.get(etag.strip('"')) == first.body       # kept on disk under var/
    info = testapp.get(grid + "/info.json")
    testapp.get(grid + "/info.json", headers={"If-None-Match": info.headers["ETag"]},
                status=304)


def test_a_whole_stored_tile_is_served_as_stored(testapp, grid, app):
    """Viewers ask for the 512 px grid of info.json: those tiles come out of the
    TIFF as they are (the same pixels, no second JPEG encoding); others are rendered."""
    from iiif.interfaces import IImageServer
    server = app.registry.getUtility(IImageServer)
    url = f"{grid}/512,0,488,512/488,/0/default.jpg"     # the right edge: stored padded
    edge = testapp.get(url)
    assert server.cache.get(edge.headers["ETag"].strip('"')) == edge.body    # rendered
    first = testapp.get(f"{grid}/0,0,512,512/512,/0/default.jpg")
    assert first.content_type == "image/jpeg"
    assert first.body[:2] == b"\xff\xd8" and first.body[6:11] == b"JFIF\x00"
    assert server.cache.get(first.headers["ETag"].strip('"')) is None        # not cached
    assert close(pixel(first.body, 150, 150), COLOURS[1][1])
    testapp.get(f"{grid}/0,0,512,512/512,/0/default.jpg",
                headers={"If-None-Match": first.headers["ETag"]}, status=304)
    server.passthrough = False
    try:
        rendered = testapp.get(f"{grid}/0,0,512,512/512,/0/default.jpg")
    finally:
        server.passthrough = True
    assert rendered.headers["ETag"] != first.headers["ETag"]
    assert b"JFIF" not in rendered.body[:20] or rendered.body != first.body


def test_preflight_allows_the_access_header(testapp, grid):
    r = testapp.options(grid + "/info.json", status=204)
    assert "X-Serepok-Access" in r.headers["Access-Control-Allow-Headers"]
    assert r.headers["Access-Control-Allow-Origin"] == "*"


def test_drafts_are_404_for_readers_and_visible_to_their_librarians(testapp, portal,
                                                                     make_user):
    with portal() as p:
        uid, ids = add_item(p, state="private", pages=1)
    info = f"/iiif/3/{uid}~{ids[0]}/info.json"
    testapp.get(info, status=404)
    testapp.get(f"/iiif/manifest/{uid}", status=404)
    make_user("bandoc", roles=["Reader"])
    sign_in(testapp, "bandoc")
    testapp.get(info, status=404)
    make_user("thuthu", site_roles=[("bmt", "Librarian")])
    sign_in(testapp, "thuthu")
    r = testapp.get(info)
    assert "private" in r.headers["Cache-Control"].split(", ")


def test_restricted_items_need_staff_or_a_valid_token(testapp, portal, make_user, app):
    with portal() as p:
        uid, ids = add_item(p, access="restricted", pages=1)
        other_uid, _ = add_item(p, title="Khác", pages=1)
        ensure_site(p.root, p.request, "tuy-hoa")
    tile = f"/iiif/3/{uid}~{ids[0]}/full/100,/0/default.jpg"
    testapp.get(tile, status=403)
    from repository.access import IAccessTokens
    tokens = app.registry.getUtility(IAccessTokens)
    good = tokens.issue(uid, "reader-1", time.time() + 600)
    expired = tokens.issue(uid, "reader-1", time.time() - 1)
    elsewhere = tokens.issue(other_uid, "reader-1", time.time() + 600)
    testapp.get(tile, {"access": expired}, status=403)
    testapp.get(tile, {"access": elsewhere}, status=403)
    r = testapp.get(tile, headers={"X-Serepok-Access": good})
    assert "private" in r.headers["Cache-Control"].split(", ")
    # the token inside the address (how a manifest hands it to a viewer)
    testapp.get(f"/iiif/3/{uid}~{ids[0]}~{good}/full/100,/0/default.jpg")
    manifest = testapp.get(f"/iiif/manifest/{uid}", {"access": good}).json
    body = manifest["items"][0]["items"][0]["items"][0]["body"]
    assert good in body["service"][0]["id"]
    make_user("bandoc", roles=["Reader"])
    sign_in(testapp, "bandoc")
    testapp.get(tile, status=403)
    make_user("thuthu-th", site_roles=[("tuy-hoa", "Librarian")])
    sign_in(testapp, "thuthu-th")
    testapp.get(tile, status=403)            # staff of the other site: no
    make_user("thuthu", site_roles=[("bmt", "Librarian")])
    sign_in(testapp, "thuthu")
    testapp.get(tile)


def test_pdf_download_with_ranges_only_when_allowed(testapp, portal, app):
    pdf = b"%PDF-1.7\n" + b"x" * 5000 + b"\n%%EOF\n"
    with portal() as p:
        open_uid, _ = add_item(p, pages=1, pdf=pdf, allow_download=True)
        closed_uid, _ = add_item(p, title="Không tải", pages=1, pdf=pdf)
        locked_uid, _ = add_item(p, title="Hạn chế", pages=1, pdf=pdf, access="restricted")
    r = testapp.get(f"/iiif/pdf/{open_uid}")
    assert r.content_type == "application/pdf" and r.body == pdf
    part = testapp.get(f"/iiif/pdf/{open_uid}", headers={"Range": "bytes=0-7"}, status=206)
    assert part.body == b"%PDF-1.7"
    assert part.headers["Content-Range"] == f"bytes 0-7/{len(pdf)}"
    testapp.get(f"/iiif/pdf/{closed_uid}", status=403)
    testapp.get(f"/iiif/pdf/{locked_uid}", status=403)
    from repository.access import IAccessTokens
    token = app.registry.getUtility(IAccessTokens).issue(locked_uid, "r", time.time() + 600)
    assert testapp.get(f"/iiif/pdf/{locked_uid}~{token}").body == pdf
    manifest = testapp.get(f"/iiif/manifest/{open_uid}").json
    assert manifest["rendering"][0]["id"] == f"http://localhost/iiif/pdf/{open_uid}"
    assert "rendering" not in testapp.get(f"/iiif/manifest/{closed_uid}").json


def test_an_unreadable_derivative_is_a_clear_error_not_a_traceback(testapp, portal):
    from repository.pages import canvas_of
    from iiif.access import find_item
    with portal() as p:
        uid, ids = add_item(p, pages=1)
        canvas_of(find_item(p.root, uid), ids[0]).set_derivative(b"II*\x00 not a tiff")
    r = testapp.get(f"/iiif/3/{uid}~{ids[0]}/info.json", status=500)
    assert r.content_type == "text/plain" and "derivative" in r.text
    testapp.get(f"/iiif/3/{uid}~{ids[0]}/full/100,/0/default.jpg", status=500)
