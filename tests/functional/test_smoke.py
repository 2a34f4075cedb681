"""The portal stands up on fresh stores and shows both demo sites in Vietnamese."""


def test_home_lists_both_sites(demo, testapp):
    page = testapp.get("/")
    assert "cơ sở Buôn Ma Thuột" in page.text
    assert "cơ sở Tuy Hòa" in page.text


def test_unknown_path_is_a_404_page(demo, testapp):
    page = testapp.get("/khong-co-trang-nay", status=404)
    assert "<html" in page.text
