"""Uploading audiobook chapters and covers: real files in, impostors and giants out."""
import io
import shutil
import subprocess

import pytest
from PIL import Image

from tests.conftest import csrf_token, sign_in

AUDIOBOOK = "/bmt/sach-noi/chuyen-ke-ben-bep-lua-nha-dai-sach-noi-mau/"
ITEM = "/bmt/dia-chi/lich-su-dak-lak-qua-cac-thoi-ky-tai-lieu-mau/"
LIMIT = 16 * 1024


@pytest.fixture
def settings(settings):
    """This module's app accepts audio files of at most 16 KiB."""
    return dict(settings, **{"serepok.upload.max_audio_bytes": str(LIMIT)})


def ogg(seconds, tmp_path):
    """A real Ogg Vorbis file made by sox (a run-time dependency of Serepok)."""
    if not shutil.which("sox"):
        pytest.skip("sox is not installed (scripts/debian-packages run)")
    path = tmp_path / f"tone-{seconds}.ogg"
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", str(path), "synth", str(seconds),
                    "sine", "440"], check=True, capture_output=True)
    return path.read_bytes()


def png(size=(40, 60)):
    buf = io.BytesIO()
    Image.new("RGB", size, (10, 79, 88)).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def librarian(demo, testapp, make_user):
    make_user("thuthu.bmt", site_roles=[("bmt", "Librarian")])
    sign_in(testapp, "thuthu.bmt")
    return testapp


def upload(browser, url, filename, data, status, token_from=None, **fields):
    token = csrf_token(browser, token_from or url)
    return browser.post(url, dict(fields, csrf_token=token),
                        upload_files=[("file", filename, data)], status=status)


def alert(page):
    box = page.html.find(attrs={"role": "alert"})
    return box.get_text(" ", strip=True) if box else ""


def chapter_urls(browser):
    return [b["data-src"] for b in browser.get(AUDIOBOOK).html.select("[data-src]")]


def test_an_ogg_chapter_is_added_and_streams(librarian, testapp, tmp_path, portal):
    data = ogg(1.5, tmp_path)
    assert len(data) < LIMIT
    response = upload(librarian, AUDIOBOOK + "tracks", "chuong-3.ogg", data, status=303,
                      title="Chương 3: Về buôn")
    assert response.location == "http://localhost" + AUDIOBOOK + "tracks"
    assert "Chương 3: Về buôn" in response.follow().text
    urls = chapter_urls(librarian)
    assert len(urls) == 3
    page = librarian.get(AUDIOBOOK)
    assert "Chương 3: Về buôn" in page.text
    track = librarian.get(urls[-1])
    assert track.content_type == "audio/ogg" and track.body == data
    part = librarian.get(urls[-1], headers={"Range": "bytes=0-3"}, status=206)
    assert part.body == b"OggS"
    with portal() as p:
        book = p.root["bmt"]["sach-noi"]["chuyen-ke-ben-bep-lua-nha-dai-sach-noi-mau"]
        assert [t.order for t in book.tracks] == [1, 2, 3]
        assert book.tracks[-1].duration == pytest.approx(1.5, abs=0.1)


def test_a_chapter_without_a_title_is_named_after_its_file(librarian, tmp_path):
    upload(librarian, AUDIOBOOK + "tracks", "phan-ket.ogg", ogg(0.2, tmp_path), status=303)
    assert "phan-ket.ogg" in librarian.get(AUDIOBOOK + "tracks").text


def test_a_text_file_named_ogg_is_refused(librarian):
    page = upload(librarian, AUDIOBOOK + "tracks", "chuong-3.ogg",
                  "Đây không phải âm thanh.\n".encode() * 20, status=400, title="Giả")
    message = alert(page)
    assert message and "audio/ogg" in message             # says what would be accepted
    assert len(chapter_urls(librarian)) == 2


def test_a_file_over_the_limit_is_refused(librarian, tmp_path):
    data = ogg(30, tmp_path)
    assert len(data) > LIMIT
    page = upload(librarian, AUDIOBOOK + "tracks", "dai-qua.ogg", data, status=400)
    assert "0.016" in alert(page)                           # the limit, in MB, is stated
    assert len(chapter_urls(librarian)) == 2


def test_an_upload_without_a_file_is_refused(librarian):
    token = csrf_token(librarian, AUDIOBOOK + "tracks")
    page = librarian.post(AUDIOBOOK + "tracks", {"csrf_token": token, "title": "?"}, status=400)
    assert alert(page)
    assert len(chapter_urls(librarian)) == 2


def test_other_sites_and_readers_cannot_upload(demo, testapp, make_user, tmp_path):
    make_user("thuthu.tuyhoa", site_roles=[("tuy-hoa", "Librarian")])
    sign_in(testapp, "thuthu.tuyhoa")
    upload(testapp, AUDIOBOOK + "tracks", "x.ogg", ogg(0.2, tmp_path), status=403,
           token_from="/password")
    upload(testapp, ITEM + "set-cover", "x.png", png(), status=403, token_from="/password")
    assert len(chapter_urls(testapp)) == 2


def test_cover_upload(librarian, testapp, app):
    import webtest
    assert librarian.get(ITEM).html.find("img", class_="cover") is None
    librarian.get(ITEM + "cover", status=404)
    image = png()
    response = upload(librarian, ITEM + "set-cover", "bia.png", image, status=303)
    assert response.location == "http://localhost" + ITEM
    reader = webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost"})
    img = reader.get(ITEM).html.find("img", class_="cover")
    assert img is not None and img["src"] == "http://localhost" + ITEM + "cover"
    cover = reader.get(img["src"])
    assert cover.content_type == "image/png" and cover.body == image
    assert cover.cache_control.public and cover.cache_control.max_age > 0


def test_a_cover_must_be_an_image(librarian):
    page = upload(librarian, ITEM + "set-cover", "bia.jpg", b"%PDF-1.7 not an image", status=400)
    assert "image/jpeg" in alert(page)
    librarian.get(ITEM + "cover", status=404)


def test_the_cover_of_a_draft_stays_private(librarian, app):
    import webtest
    draft = "/bmt/dia-chi/ban-thao-dinh-lang-lac-giao-dang-bien-muc/"
    upload(librarian, draft + "set-cover", "bia.png", png(), status=303)
    cover = librarian.get(draft + "cover", status=200)
    assert cover.cache_control.private and not cover.cache_control.public   # no proxy keeps it
    reader = webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost"})
    reader.get(draft + "cover", status=404)
