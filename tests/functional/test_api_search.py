"""/api/v1/search: one site's catalogue, or the union catalogue, in Vietnamese with or
without diacritics."""
from .api_support import ApiDocs, call, people  # noqa: F401  (fixture)

DRAFT = "ban-thao-dinh-lang-lac-giao-dang-bien-muc"


def names(response):
    return [i["name"] for i in response.json["items"]]


def test_search_examples(testapp, people):
    """The examples written to docs/api/search.md."""
    docs = ApiDocs(testapp, "search", ("Tìm kiếm", "Search"), (
        "Tìm trong mục lục của một cơ sở (`site`), hoặc, khi không nêu cơ sở, trong mục lục "
        "liên hợp. Gõ có dấu hay không dấu đều được; kết quả đúng dấu đứng trước. Chỉ trả về "
        "những gì người hỏi được xem.",
        "Search one site's catalogue (`site`) or, without a site, the union catalogue. Words "
        "may be typed with or without Vietnamese diacritics; exact matches rank first. Only "
        "what the caller may see is returned."))
    docs.secret(people.tokens["librarian-bmt"], "<token của thuthu.bmt>")
    plain = docs.example(
        ("Tìm không dấu", "Search without diacritics"),
        ("`dak lak` tìm thấy `Đắk Lắk`.", "`dak lak` finds `Đắk Lắk`."),
        "GET", "/api/v1/search?site=bmt&q=dak%20lak&type=DigitalItem")
    exact = call(testapp, "GET", "/api/v1/search?site=bmt&q=%C4%90%E1%BA%AFk%20L%E1%BA%AFk"
                                 "&type=DigitalItem")
    assert names(plain) and sorted(names(plain)) == sorted(names(exact))
    assert DRAFT not in names(plain)

    staff = docs.example(
        ("Cán bộ thấy cả bản thảo", "Staff also find drafts"),
        ("Cán bộ của cơ sở thấy cả tài liệu riêng tư của cơ sở mình.",
         "Staff of the site also find its private content."),
        "GET", "/api/v1/search?site=bmt&q=dinh%20lang&b_size=5",
        headers=people.headers("librarian-bmt"))
    assert names(staff) == [DRAFT]
    union = docs.example(
        ("Không nêu cơ sở: mục lục liên hợp", "No site: the union catalogue"),
        ("Cả hai cơ sở, các thư viện xã, tài liệu số và sách nói, với các nhóm lọc (như "
         "`/api/v1/records`).",
         "Both sites, the commune libraries, digital items and audiobooks, with facets (as "
         "`/api/v1/records`)."),
        "GET", "/api/v1/search?q=dak%20lak&type=DigitalItem&b_size=2")
    assert union.json["@type"] == "RecordSearchResults"
    docs.write()


def test_without_a_site_the_union_catalogue_of_every_library(testapp, people):
    found = call(testapp, "GET", "/api/v1/search?type=DigitalItem&b_size=100").json
    assert found["@type"] == "RecordSearchResults" and found["items_total"] >= 2
    assert all(item["format"] == "digital" for item in found["items"])
    holdings = {(h["library"], h["library_name"]) for item in found["items"]
                for h in item["holdings"]}
    # both sites, each by its name
    assert {code for code, _name in holdings} >= {"bmt", "tuy-hoa"}
    assert all(name and name != code for code, name in holdings)
    assert "library" in found["facets"] and found["filters"] == {"format": ["digital"]}
    # the union catalogue holds only what is published, whoever asks
    [draft] = call(testapp, "GET", "/api/v1/search?site=bmt&q=dinh lang",
                   headers=people.headers("librarian-bmt")).json["items"]
    for who in ("anonymous", "librarian-bmt"):
        union = call(testapp, "GET", "/api/v1/search?q=dinh lang",
                     headers=people.headers(who)).json
        assert draft["title"] not in [i["title"] for i in union["items"]], who
    # its own sorts and filters, and a clear message for what only a site search knows
    newest = call(testapp, "GET", "/api/v1/search?sort=newest&library=tuy-hoa").json
    assert all("tuy-hoa" in {h["library"] for h in i["holdings"]} for i in newest["items"])
    wrong = call(testapp, "GET", "/api/v1/search?type=Collection&sort=modified", status=400)
    assert set(wrong.json["error"]["fields"]) == {"type", "sort"}


def test_search_keeps_to_one_site_and_to_what_may_be_seen(testapp, people):
    bmt = call(testapp, "GET", "/api/v1/search?site=bmt").json
    assert all(i["@id"].startswith("http://localhost/api/v1/content/bmt/") for i in bmt["items"])
    tuy_hoa = call(testapp, "GET", "/api/v1/search?site=tuy-hoa&q=phu yen").json
    assert tuy_hoa["items_total"] >= 1
    assert all("/tuy-hoa/" in i["@id"] for i in tuy_hoa["items"])
    for who in ("anonymous", "reader", "librarian-tuy-hoa"):
        found = call(testapp, "GET", "/api/v1/search?site=bmt&q=dinh lang",
                     headers=people.headers(who)).json
        assert found["items_total"] == 0, who
    for who in ("librarian-bmt", "siteadmin-bmt", "manager"):
        found = call(testapp, "GET", "/api/v1/search?site=bmt&q=dinh lang",
                     headers=people.headers(who)).json
        assert found["items_total"] == 1, who


def test_search_batches(testapp, people):
    first = call(testapp, "GET", "/api/v1/search?site=bmt&sort=title&b_size=3").json
    second = call(testapp, "GET", first["batching"]["next"]).json
    assert len(first["items"]) == 3
    assert not {i["@id"] for i in first["items"]} & {i["@id"] for i in second["items"]}
    assert second["batching"]["prev"] == first["batching"]["@id"]


def test_search_parameters_are_checked(testapp, people):
    def fields(query):
        return set(call(testapp, "GET", "/api/v1/search?" + query,
                        status=400).json["error"]["fields"])

    assert fields("site=ha-noi") == {"site"}
    # no site: the union catalogue, with its own parameters
    assert fields("type=Spaceship&sort=random&b_size=1000&year_from=abc") == {
        "type", "sort", "b_size", "year_from"}
    assert fields("site=bmt&type=Spaceship&sort=random&b_size=1000") == {"type", "sort",
                                                                         "b_size"}
    assert fields("site=bmt&q=" + "a" * 201) == {"q"}


def test_search_is_rate_limited(testapp, people, portal):
    from limits import parse

    from portal.ratelimit import IRateLimiter
    with portal() as p:
        p.request.find_service(IRateLimiter).rules["search"] = parse("3/minute")
    for _n in range(3):
        call(testapp, "GET", "/api/v1/search?site=bmt&q=ca phe")
    refused = call(testapp, "GET", "/api/v1/search?site=bmt&q=ca phe", status=429)
    assert refused.json["error"]["type"] == "TooManyRequests"
    assert int(refused.headers["Retry-After"]) > 0
