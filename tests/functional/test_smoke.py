"""The portal stands up on fresh stores and shows both demo sites in Vietnamese."""


def test_home_lists_both_sites(demo, testapp):
    page = testapp.get("/")
    assert "cơ sở Buôn Ma Thuột" in page.text
    assert "cơ sở Tuy Hòa" in page.text


def test_unknown_path_is_a_404_page(demo, testapp):
    page = testapp.get("/khong-co-trang-nay", status=404)
    assert "<html" in page.text


def test_messages_name_content_types_in_vietnamese(demo, signed_in):
    app = signed_in("thuthu", site_roles=[("bmt", "Librarian")])
    page = app.get("/bmt/add?type=Audiobook", status=400)
    assert "Sách nói" in page.text
    assert "Audiobook" not in page.html.find("main").get_text()


def test_guessing_the_current_password_is_rate_limited(demo, signed_in):
    from tests.conftest import csrf_token
    app = signed_in("thuthu", site_roles=[("bmt", "Librarian")])
    token = csrf_token(app, "/password")
    for _ in range(5):
        app.post("/password", {"csrf_token": token, "current": "sai-mat-khau-123",
                               "new": "mat-khau-moi-dai-123", "confirm": "mat-khau-moi-dai-123"},
                 status=400)
    page = app.post("/password", {"csrf_token": token, "current": "sai-mat-khau-123",
                                  "new": "mat-khau-moi-dai-123",
                                  "confirm": "mat-khau-moi-dai-123"}, status=429)
    assert "quá nhiều lần" in page.text
    assert int(page.headers["Retry-After"]) > 0


def test_a_librarian_cannot_retract_a_whole_site(demo, signed_in):
    from tests.conftest import csrf_token
    app = signed_in("thuthu", site_roles=[("bmt", "Librarian")])
    page = app.get("/bmt")
    assert 'value="retract"' not in page.text
    token = csrf_token(app, "/bmt/dia-chi")
    app.post("/bmt/transition", {"csrf_token": token, "transition": "retract"}, status=403)
    assert "cơ sở Buôn Ma Thuột" in app.get("/bmt").text   # still published


def test_a_site_admin_may_change_the_site_state(demo, signed_in):
    app = signed_in("quantri", site_roles=[("bmt", "SiteAdmin")])
    assert 'value="share_internally"' in app.get("/bmt").text


def test_the_workspace_links_sources_for_site_admins_only(demo, signed_in):
    from tests.conftest import csrf_token
    admin = signed_in("quantri", site_roles=[("bmt", "SiteAdmin")])
    assert "/sources" in admin.get("/workspace").text
    admin.post("/logout", {"csrf_token": csrf_token(admin, "/workspace")}, status=303)
    librarian = signed_in("thuthu", site_roles=[("bmt", "Librarian")])
    assert "/sources" not in librarian.get("/workspace").text
