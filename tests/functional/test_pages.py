"""What a reader sees: the public pages of the portal and both demo sites."""
import pytest

from repository.interfaces import IContentService

LICH_SU = "/bmt/dia-chi/lich-su-dak-lak-qua-cac-thoi-ky-tai-lieu-mau/"
CA_PHE = "Cà phê Buôn Ma Thuột: từ đồn điền đến thương hiệu (tài liệu mẫu)"
AUDIOBOOK = "/bmt/sach-noi/chuyen-ke-ben-bep-lua-nha-dai-sach-noi-mau/"
DRAFT = "Bản thảo: Đình làng Lạc Giao (đang biên mục)"


def card_titles(page):
    """Titles of the entries listed on a page, in order."""
    return [li.find("strong").get_text(strip=True) for li in page.html.select("li.card")]


def test_portal_home_shows_both_sites_and_their_news(demo, testapp):
    page = testapp.get("/")
    assert page.html.html["lang"] == "vi"
    text = page.text
    assert "Thư viện tỉnh Đắk Lắk — cơ sở Buôn Ma Thuột" in text
    assert "Thư viện tỉnh Đắk Lắk — cơ sở Tuy Hòa" in text
    news = card_titles(page)
    assert "Khai trương không gian đọc sách cho thiếu nhi" in news
    assert "Triển lãm ảnh biển Phú Yên xưa và nay" in news
    search_forms = {f["action"] for f in page.html.select("form[role=search]")}
    assert search_forms == {"http://localhost/bmt/search", "http://localhost/tuy-hoa/search"}


@pytest.mark.parametrize("site, collections, page_title, hours", [
    ("bmt", ["Sách nói", "Tài liệu địa chí Đắk Lắk", "Tài liệu quý hiếm"],
     "Nội quy thư viện", "Thứ Bảy, Chủ nhật: 8:00 – 16:00"),
    ("tuy-hoa", ["Sách nói thiếu nhi", "Tài liệu địa chí Phú Yên"],
     "Hướng dẫn làm thẻ bạn đọc", "Thứ Bảy: 8:00 – 11:30"),
])
def test_site_home(demo, testapp, site, collections, page_title, hours):
    page = testapp.get(f"/{site}/")
    listed = card_titles(page)
    for title in collections:                 # its own top-level collections, in title order
        assert title in listed
    positions = [listed.index(t) for t in collections]
    assert positions == sorted(positions)
    assert "Sử thi và văn hóa Tây Nguyên" not in listed      # nested, shown in its parent
    other = "Tài liệu địa chí Phú Yên" if site == "bmt" else "Tài liệu quý hiếm"
    assert other not in page.text
    assert page_title in page.text and hours in page.text


def test_collection_lists_its_published_entries(demo, testapp):
    page = testapp.get("/bmt/dia-chi/")
    assert card_titles(page) == [
        CA_PHE,
        "Lịch sử Đắk Lắk qua các thời kỳ (tài liệu mẫu)",
        "Sử thi và văn hóa Tây Nguyên",
    ]
    assert DRAFT not in page.text


@pytest.fixture
def big_collection(demo, portal):
    """A published collection of 30 items, created in scrambled order."""
    with portal() as p:
        service = p.request.find_service(IContentService)
        coll, _e = service.add(p.root["bmt"], "Collection", {"title": "Kho lớn"}, name="kho")
        service.transition(coll, "publish")
        for n in (7, 23, 1, 30, 12, 5, 18, 26, 2, 14, 9, 29, 21, 3, 16, 11, 25, 6, 19, 28,
                  4, 13, 22, 8, 27, 15, 10, 20, 24, 17):
            item, _e = service.add(coll, "DigitalItem", {"title": f"Tập {n:02d}"})
            service.transition(item, "publish")
    return "/kho/"


def test_collection_pages_of_24(big_collection, testapp):
    first = testapp.get("/bmt/kho/")
    assert card_titles(first) == [f"Tập {n:02d}" for n in range(1, 25)]
    nxt = first.html.find("a", rel="next")
    assert nxt is not None and first.html.find("a", rel="prev") is None
    second = testapp.get(nxt["href"])
    assert card_titles(second) == [f"Tập {n:02d}" for n in range(25, 31)]
    assert second.html.find("a", rel="next") is None
    assert second.html.find("a", rel="prev") is not None
    # a page past the end is empty, not an error; a nonsense page number is page 1
    assert card_titles(testapp.get("/bmt/kho/", {"page": "9"})) == []
    assert card_titles(testapp.get("/bmt/kho/", {"page": "abc"}))[0] == "Tập 01"


def test_collection_sort_newest_first(big_collection, testapp, portal):
    with portal() as p:
        p.request.find_service(IContentService).edit(p.root["bmt"]["kho"]["tap-05"],
                                                     {"title": "Tập 05 (bản sửa)"})
    newest = card_titles(testapp.get("/bmt/kho/", {"sort": "modified"}))
    assert newest[:2] == ["Tập 05 (bản sửa)", "Tập 17"]
    by_title = card_titles(testapp.get("/bmt/kho/", {"sort": "bogus"}))
    assert by_title[:2] == ["Tập 01", "Tập 02"]


def test_item_page_shows_its_record(demo, testapp):
    page = testapp.get(LICH_SU)
    assert page.html.h1.get_text(strip=True) == "Lịch sử Đắk Lắk qua các thời kỳ (tài liệu mẫu)"
    cells = [td.get_text(strip=True) for td in page.html.select("table.fields td")]
    for value in ("Ban biên soạn thư viện", "Lịch sử; Đắk Lắk; Tây Nguyên",
                  "Thư viện tỉnh Đắk Lắk", "Buôn Ma Thuột", "2024", "vie", "959.765",
                  "959.765 L302S", "120 tr. ; 24 cm"):
        assert value in cells, value
    assert "" not in cells                                  # empty fields are left out
    assert page.html.find("audio") is None


def test_audiobook_page_has_a_player_with_every_chapter(demo, testapp):
    page = testapp.get(AUDIOBOOK)
    audio = page.html.find("audio")
    assert audio is not None and audio.has_attr("controls")
    urls = [b["data-src"] for b in page.html.select("[data-src]")]
    assert len(urls) == 2
    assert audio["src"] == urls[0]
    assert all(u.startswith("http://localhost" + AUDIOBOOK + "track/") for u in urls)
    assert "Chương 1: Nhà dài buôn Ako Dhong" in page.text
    assert "Chương 2: Tiếng chiêng ngày hội" in page.text
    for url in urls:
        track = testapp.get(url)
        assert track.content_type == "audio/wav"
        assert track.body[:4] == b"RIFF"
        assert track.headers["Accept-Ranges"] == "bytes"


def test_audio_supports_range_requests(demo, testapp):
    url = testapp.get(AUDIOBOOK).html.find("audio")["src"]
    whole = testapp.get(url).body
    size = len(whole)
    part = testapp.get(url, headers={"Range": "bytes=100-1099"}, status=206)
    assert part.headers["Content-Range"] == f"bytes 100-1099/{size}"
    assert part.headers["Content-Length"] == "1000"
    assert part.body == whole[100:1100]
    tail = testapp.get(url, headers={"Range": "bytes=-16"}, status=206)
    assert tail.body == whole[-16:]
    rest = testapp.get(url, headers={"Range": f"bytes={size - 10}-"}, status=206)
    assert rest.body == whole[-10:]
    testapp.get(url, headers={"Range": f"bytes={size + 10}-{size + 20}"}, status=416)


def test_unknown_track_is_404(demo, testapp):
    testapp.get(AUDIOBOOK + "track/khong-co", status=404)
    testapp.get(AUDIOBOOK + "track", status=404)


def test_news_page(demo, testapp):
    page = testapp.get("/bmt/khai-truong-khong-gian-doc-sach-cho-thieu-nhi/")
    assert page.html.h1.get_text(strip=True) == "Khai trương không gian đọc sách cho thiếu nhi"
    paragraphs = [p.get_text(strip=True) for p in page.html.select("main p")]
    assert "Thư viện mở không gian đọc dành cho thiếu nhi với hơn hai nghìn đầu sách." in paragraphs
    assert "Các em đến cùng phụ huynh được hướng dẫn làm thẻ miễn phí." in paragraphs


def test_page_view(demo, testapp):
    page = testapp.get("/tuy-hoa/huong-dan-lam-the-ban-doc/")
    paragraphs = [p.get_text(strip=True) for p in page.html.select("main p")]
    assert "Thẻ dùng được ở cả hai cơ sở." in paragraphs


@pytest.mark.parametrize("query", ["dak lak", "Đắk Lắk", "DAK LAK", "đắk lắk"])
def test_search_with_and_without_diacritics(demo, testapp, query):
    found = card_titles(testapp.get("/bmt/search", {"q": query}))
    assert "Lịch sử Đắk Lắk qua các thời kỳ (tài liệu mẫu)" in found
    assert "Tài liệu địa chí Đắk Lắk" in found
    assert DRAFT not in found
    assert "Gành Đá Đĩa và bờ biển Tuy Hòa (tài liệu mẫu)" not in found   # other site


def test_search_finds_authors_and_shows_nothing_for_nonsense(demo, testapp):
    assert card_titles(testapp.get("/bmt/search", {"q": "nguyen van mau"})) == [CA_PHE]
    assert card_titles(testapp.get("/tuy-hoa/search", {"q": "ganh da dia"})) == [
        "Gành Đá Đĩa và bờ biển Tuy Hòa (tài liệu mẫu)"]
    assert card_titles(testapp.get("/bmt/search", {"q": "xyzzy"})) == []
    assert card_titles(testapp.get("/bmt/search", {"q": "lac giao"})) == []     # a draft
    assert card_titles(testapp.get("/bmt/search", {"q": "AND OR ( \" *"})) == []
    empty = testapp.get("/bmt/search")
    assert card_titles(empty) == [] and empty.html.find("input", attrs={"name": "q"})


def test_unknown_path_is_a_vietnamese_404(demo, testapp):
    for path in ("/khong-co-trang-nay", "/bmt/khong-co", "/bmt/dia-chi/khong-co/edit"):
        page = testapp.get(path, status=404)
        assert page.html.html["lang"] == "vi"
        assert "Không tìm thấy trang" in page.text
        assert "Page not found" not in page.text


def test_static_assets_are_cached(demo, testapp):
    css = testapp.get("/static/serepok.css")
    assert css.content_type == "text/css"
    assert css.cache_control.max_age >= 24 * 3600
    player = testapp.get("/static/player.js")
    assert player.cache_control.max_age >= 24 * 3600
    testapp.get("/static/khong-co.css", status=404)


def test_language_switch(demo, testapp):
    response = testapp.get("/lang/en", {"came_from": "/bmt/dia-chi/"}, status=303)
    assert response.location == "http://localhost/bmt/dia-chi/"
    assert "serepok_lang=en" in response.headers["Set-Cookie"]
    page = response.follow()
    assert page.html.html["lang"] == "en"
    assert testapp.get("/", status=200).html.html["lang"] == "en"
    assert "Page not found" in testapp.get("/khong-co", status=404).text
    testapp.get("/lang/vi", status=303)
    assert testapp.get("/").html.html["lang"] == "vi"


def test_language_switch_ignores_unknown_codes_and_offsite_targets(demo, testapp):
    response = testapp.get("/lang/xx", status=303)
    assert "Set-Cookie" not in response.headers
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        location = testapp.get("/lang/en", {"came_from": target}, status=303).location
        assert location.startswith("http://localhost/"), target
        assert not location.startswith("http://localhost//")
