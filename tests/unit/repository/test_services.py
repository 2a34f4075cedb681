"""ContentService: every change reaches the site's catalogue in the same transaction."""
import pytest

from repository.resources import DigitalItem
from repository.services import ContentError

from .conftest import ANONYMOUS, BMT_LIBRARIAN, READER, titles


def find(search, site, text, principals=BMT_LIBRARIAN, **kw):
    return titles(search.search(site, text=text, principals=principals, **kw))


# --- add ------------------------------------------------------------------------------

def test_add_names_the_object_after_its_vietnamese_title(service, collection):
    obj, errors = service.add(collection, "DigitalItem", {"title": "Lịch sử Đắk Lắk"})
    assert errors == {}
    assert isinstance(obj, DigitalItem)
    assert collection["lich-su-dak-lak"] is obj
    assert obj.path == "/bmt/dia-chi/lich-su-dak-lak"
    assert obj.state == "private"
    assert obj.creator == "7"


def test_add_keeps_names_unique(service, collection):
    first, _e = service.add(collection, "DigitalItem", {"title": "Cà phê"})
    second, _e = service.add(collection, "DigitalItem", {"title": "Cà phê"})
    assert (first.__name__, second.__name__) == ("ca-phe", "ca-phe-2")


def test_add_with_a_taken_or_bad_name_is_refused(service, collection):
    service.add(collection, "DigitalItem", {"title": "Cà phê"}, name="ca-phe")
    obj, errors = service.add(collection, "DigitalItem", {"title": "Khác"}, name="ca-phe")
    assert obj is None and "name" in errors
    obj, errors = service.add(collection, "DigitalItem", {"title": "Khác"}, name="Cà Phê!")
    assert obj is None and "name" in errors
    assert list(collection) == ["ca-phe"]


def test_add_with_invalid_fields_adds_nothing(service, collection, search):
    obj, errors = service.add(collection, "DigitalItem", {"title": " ", "year": "năm ngoái"})
    assert obj is None
    assert set(errors) == {"title", "year"}
    assert len(collection) == 0
    assert search.search(collection.__parent__, type_name="DigitalItem")[0] == 0


def test_a_type_cannot_be_added_where_it_does_not_belong(service, root, collection):
    with pytest.raises(ContentError):
        service.add(root["bmt"], "DigitalItem", {"title": "Sách"})      # items live in collections
    with pytest.raises(ContentError):
        service.add(collection, "Site", {"title": "Cơ sở mới", "code": "X"})
    with pytest.raises(ContentError):
        service.add(collection, "NoSuchType", {"title": "?"})


def test_a_site_added_by_the_service_has_a_working_catalogue(service, root, search):
    site, errors = service.add(root, "Site", {"title": "Cơ sở Krông Pắc", "code": "KP"},
                               name="krong-pac")
    assert not errors
    coll, _e = service.add(site, "Collection", {"title": "Sách địa phương"})
    service.transition(coll, "publish")
    assert find(search, site, "sach dia phuong", principals=READER) == ["Sách địa phương"]


# --- the catalogue follows content ------------------------------------------------

def test_published_item_is_found_without_diacritics(add_item, root, search):
    add_item("Đắk Lắk xưa và nay")
    for query in ("dak lak", "DAK LAK", "Đắk Lắk", "đắk lắk xưa"):
        found = find(search, root["bmt"], query, principals=ANONYMOUS)
        assert found == ["Đắk Lắk xưa và nay"], query
    assert find(search, root["bmt"], "Đắk Nông", principals=ANONYMOUS) == []


def test_query_typed_in_decomposed_unicode_finds_the_item(add_item, root, search):
    add_item("Buôn Ma Thuột")
    nfd = "Bu\u006f\u0302n Ma Thu\u006f\u0302\u0323t"        # ô typed as o + combining marks
    assert find(search, root["bmt"], nfd, principals=ANONYMOUS) == ["Buôn Ma Thuột"]


def test_exact_diacritics_rank_first(add_item, root, search):
    add_item("Da lat va Dak Lak")          # typed without diacritics
    add_item("Đà Lạt và Đắk Lắk")
    site = root["bmt"]
    assert find(search, site, "Đắk Lắk") == ["Đà Lạt và Đắk Lắk", "Da lat va Dak Lak"]
    assert find(search, site, "dak lak") == ["Da lat va Dak Lak", "Đà Lạt và Đắk Lắk"]


def test_search_covers_authors_subjects_and_isbn(add_item, root, search):
    add_item("Sổ tay", creators=["Nguyễn Thị Hoa"], subjects=["Cà phê"],
             isbn="978-604-1-00000-1")
    site = root["bmt"]
    assert find(search, site, "nguyen thi hoa") == ["Sổ tay"]
    assert find(search, site, "ca phe") == ["Sổ tay"]
    assert find(search, site, "9786041000001") == ["Sổ tay"]


def test_private_drafts_are_invisible_to_readers(add_item, root, search):
    add_item("Bản thảo Lạc Giao", publish=False)
    site = root["bmt"]
    assert find(search, site, "lac giao", principals=READER) == []
    assert find(search, site, "lac giao", principals=ANONYMOUS) == []
    assert find(search, site, "lac giao", principals=BMT_LIBRARIAN) == ["Bản thảo Lạc Giao"]
    assert search.search(site, type_name="DigitalItem", principals=READER) == (0, [])


def test_edit_reindexes_the_new_title(service, add_item, root, search):
    item = add_item("Tên cũ")
    assert service.edit(item, {"title": "Hồ Lắk mùa nước"}) == {}
    assert item.title == "Hồ Lắk mùa nước"
    assert find(search, root["bmt"], "ho lak") == ["Hồ Lắk mùa nước"]
    assert find(search, root["bmt"], "ten cu") == []


def test_edit_with_errors_changes_nothing(service, add_item, root, search):
    item = add_item("Tên cũ", year="1990")
    errors = service.edit(item, {"title": "Tên mới", "year": "199"})
    assert set(errors) == {"year"}
    assert (item.title, item.year) == ("Tên cũ", 1990)
    assert find(search, root["bmt"], "ten moi") == []


def test_partial_edit_leaves_absent_fields_alone(service, add_item):
    item = add_item("Sách", publisher="NXB Trẻ", year="2001")
    assert service.edit(item, {"year": "2002"}, partial=True) == {}
    assert (item.title, item.publisher, item.year) == ("Sách", "NXB Trẻ", 2002)


def test_moved_item_is_found_under_the_new_path_only(service, add_item, root, search):
    site = root["bmt"]
    item = add_item("Sử thi Đam San")
    target, _e = service.add(site, "Collection", {"title": "Sử thi"}, name="su-thi")
    service.transition(target, "publish")
    service.move(item, target)
    assert item.path == "/bmt/su-thi/su-thi-dam-san"
    assert find(search, site, "dam san", path="/bmt/su-thi") == ["Sử thi Đam San"]
    assert find(search, site, "dam san", path="/bmt/dia-chi") == []
    listed = titles(search.search(site, parent="/bmt/su-thi", principals=READER))
    assert listed == ["Sử thi Đam San"]
    assert titles(search.search(site, parent="/bmt/dia-chi", principals=READER)) == []


def test_moving_a_collection_carries_its_contents(service, add_item, collection, root, search):
    site = root["bmt"]
    add_item("Luật tục Ê Đê")
    parent, _e = service.add(site, "Collection", {"title": "Kho chung"}, name="kho")
    service.transition(parent, "publish")
    service.move(collection, parent)
    assert find(search, site, "luat tuc", path="/bmt/kho/dia-chi") == ["Luật tục Ê Đê"]
    assert find(search, site, "luat tuc", path="/bmt/dia-chi") == []


def test_moving_into_a_private_collection_hides_from_readers(service, add_item, root, search):
    site = root["bmt"]
    item = add_item("Gùi và chiêng")
    hidden, _e = service.add(site, "Collection", {"title": "Chưa công bố"})
    service.move(item, hidden)
    assert item.state == "published"
    assert find(search, site, "gui chieng", principals=READER) == []
    assert find(search, site, "gui chieng", principals=BMT_LIBRARIAN) == ["Gùi và chiêng"]


def test_a_collection_cannot_be_moved_into_itself_or_below(service, collection, root):
    child, _e = service.add(collection, "Collection", {"title": "Con"})
    with pytest.raises(ContentError):
        service.move(collection, collection)
    with pytest.raises(ContentError):
        service.move(collection, child)
    assert collection.__parent__ is root["bmt"] and child.__parent__ is collection


def test_content_cannot_move_to_another_site(service, add_item, root):
    item = add_item("Cà phê")
    other, _e = service.add(root["tuy-hoa"], "Collection", {"title": "Địa chí Phú Yên"})
    with pytest.raises(ContentError) as err:
        service.move(item, other)
    assert err.value.status == 403
    assert item.path == "/bmt/dia-chi/ca-phe"


def test_move_refuses_a_taken_name_and_a_wrong_container(service, add_item, root, collection):
    item = add_item("Cà phê")
    other, _e = service.add(root["bmt"], "Collection", {"title": "Khác"})
    service.add(other, "DigitalItem", {"title": "Cà phê"})
    with pytest.raises(ContentError) as err:
        service.move(item, other)
    assert err.value.status == 409
    with pytest.raises(ContentError):
        service.move(item, root["bmt"])             # a site holds collections, not items
    assert item.__parent__ is collection


def test_delete_removes_the_subtree_from_the_catalogue(service, add_item, collection, root, search):
    site = root["bmt"]
    add_item("Bản đồ Darlac")
    service.delete(collection)
    assert "dia-chi" not in site
    assert find(search, site, "ban do darlac") == []
    assert len(site.catalog) == 0


def test_a_site_cannot_be_deleted_through_the_service(service, root):
    with pytest.raises(ContentError):
        service.delete(root["bmt"])
    assert "bmt" in root


# --- transitions --------------------------------------------------------------------

def test_publish_and_retract_change_what_readers_find(service, add_item, root, search):
    item = add_item("Tiếng chiêng", publish=False)
    site = root["bmt"]
    service.transition(item, "publish")
    assert find(search, site, "tieng chieng", principals=ANONYMOUS) == ["Tiếng chiêng"]
    service.transition(item, "retract")
    assert find(search, site, "tieng chieng", principals=ANONYMOUS) == []


def test_retracting_a_collection_hides_what_is_inside(service, add_item, collection, root, search):
    add_item("Cồng chiêng")
    service.transition(collection, "retract")
    assert find(search, root["bmt"], "cong chieng", principals=READER) == []
    service.transition(collection, "publish")
    assert find(search, root["bmt"], "cong chieng", principals=READER) == ["Cồng chiêng"]


def test_internal_items_are_for_staff_of_every_site(service, add_item, root, search):
    from .conftest import OTHER_SITE_LIBRARIAN
    item = add_item("Báo cáo kiểm kê", publish=False)
    site = root["bmt"]
    assert find(search, site, "kiem ke", principals=OTHER_SITE_LIBRARIAN) == []
    service.transition(item, "share_internally")
    assert find(search, site, "kiem ke", principals=OTHER_SITE_LIBRARIAN) == ["Báo cáo kiểm kê"]
    assert find(search, site, "kiem ke", principals=READER) == []


def test_a_transition_from_the_wrong_state_is_a_conflict(service, add_item):
    item = add_item("Sách")                       # published
    with pytest.raises(ContentError) as err:
        service.transition(item, "publish")
    assert err.value.status == 409
    with pytest.raises(ContentError):
        service.transition(item, "burn")
    assert item.state == "published"
    assert [h["transition"] for h in item.workflow_history] == ["publish"]


# --- listings -----------------------------------------------------------------------

def test_titles_sort_in_vietnamese_alphabetical_order(add_item, collection, root, search):
    expected = ["Anh hùng núi rừng", "Ăn Tết ở buôn", "Âm nhạc Tây Nguyên", "Bình minh",
                "Dòng sông Sêrêpốk", "Đường lên Tây Nguyên", "Uống rượu cần", "Ước mơ"]
    for title in reversed(expected):
        add_item(title)
    assert titles(search.search(root["bmt"], parent=collection.path, principals=READER,
                                sort="title")) == expected


def test_listing_pages_hold_every_item_once(add_item, collection, root, search):
    for n in range(25):
        add_item(f"Tập {n:02d}")
    site = root["bmt"]
    pages = [search.search(site, parent=collection.path, principals=READER, start=s, limit=10)
             for s in (0, 10, 20)]
    assert [total for total, _o in pages] == [25, 25, 25]
    seen = [o.title for _t, objs in pages for o in objs]
    assert seen == [f"Tập {n:02d}" for n in range(25)]


def test_newest_first_sort(service, add_item, collection, root, search):
    first = add_item("Tin thứ nhất")
    add_item("Tin thứ hai")
    service.edit(first, {"title": "Tin thứ nhất (sửa)"})
    result = search.search(root["bmt"], parent=collection.path, principals=READER, sort="modified")
    assert titles(result) == ["Tin thứ nhất (sửa)", "Tin thứ hai"]


def test_catalogue_survives_a_commit_and_a_new_connection(registry):
    import transaction
    import ZODB
    from repository.catalog import SiteCatalog
    from repository.resources import Root, Site
    from repository.services import CatalogSearch, ContentService

    db = ZODB.DB(None)
    try:
        tm = transaction.TransactionManager()
        conn = db.open(tm)
        root = conn.root()["serepok"] = Root(title="Thư viện")
        site = Site(title="BMT", code="BMT")
        root.add("bmt", site)
        site.catalog = SiteCatalog()
        service = ContentService(registry.notify)
        coll, _e = service.add(site, "Collection", {"title": "Địa chí"})
        service.transition(coll, "publish")
        tm.commit()
        conn.close()

        conn = db.open(tm)
        site = conn.root()["serepok"]["bmt"]
        result = CatalogSearch().search(site, text="dia chi", principals=ANONYMOUS)
        assert titles(result) == ["Địa chí"]
        conn.close()
    finally:
        db.close()
