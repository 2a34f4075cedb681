"""A reader and a librarian use the real portal in headless Chromium.

The app runs under waitress on a loopback port; the browser loads the home
page and a site page (Vietnamese first), a librarian signs in through the
form, and an audiobook's player loads its first chapter.  Screenshots land in
test-artifacts/ for a person to look at.
"""
import pytest

pytest.importorskip("selenium", reason="selenium is in requirements/test.txt: run `make test`")

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from tests.conftest import PASSWORD  # noqa: E402

BMT_TITLE = "Thư viện tỉnh Đắk Lắk — cơ sở Buôn Ma Thuột"
TUY_HOA_TITLE = "Thư viện tỉnh Đắk Lắk — cơ sở Tuy Hòa"

AUDIO_DURATION_JS = """
const player = document.getElementById('player');
if (!player) { return -1; }
const d = player.duration;
return (isFinite(d) && d > 0) ? d : 0;
"""


def audiobook_path(portal):
    from repository.resources import Audiobook
    with portal() as p:
        books = [o for o in p.root["bmt"]["sach-noi"].values() if isinstance(o, Audiobook)]
        assert books, "the demo has no audiobook in bmt/sach-noi"
        return "/bmt/sach-noi/" + books[0].__name__ + "/", books[0].title


@pytest.mark.browser
def test_reader_and_librarian_in_a_real_browser(browser, screenshot, demo, make_user, portal,
                                                live_server):
    wait = WebDriverWait(browser, 8)
    make_user("thuthu.bmt", site_roles=[("bmt", "Librarian")])
    book_path, book_title = audiobook_path(portal)

    # The portal home, in Vietnamese, lists both sites.
    browser.get(live_server.url + "/")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi"
    body = browser.find_element(By.TAG_NAME, "body").text
    assert BMT_TITLE in body
    assert TUY_HOA_TITLE in body
    screenshot("1-trang-chu-home")

    # A reader follows the link to the Buôn Ma Thuột site.
    browser.find_element(By.LINK_TEXT, BMT_TITLE).click()
    wait.until(EC.url_to_be(live_server.url + "/bmt/"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi"
    assert BMT_TITLE in browser.find_element(By.TAG_NAME, "h1").text
    assert "Tài liệu địa chí Đắk Lắk" in browser.find_element(By.TAG_NAME, "main").text
    screenshot("2-co-so-bmt-site")

    # Not signed in yet: no workspace link.
    assert not browser.find_elements(By.CSS_SELECTOR, 'a[href$="/workspace"]')

    # The librarian signs in through the form and comes back to the site page.
    browser.find_element(By.CSS_SELECTOR, 'a[href*="/login"]').click()
    login = wait.until(EC.visibility_of_element_located((By.ID, "login")))
    login.send_keys("thuthu.bmt")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    screenshot("3-dang-nhap-login-form")
    browser.find_element(By.CSS_SELECTOR, 'form[action$="/login"] button').click()
    wait.until(EC.url_to_be(live_server.url + "/bmt/"))
    nav = browser.find_element(By.CSS_SELECTOR, "nav.main-nav")
    assert "thuthu.bmt" in nav.text
    assert nav.find_elements(By.CSS_SELECTOR, 'a[href$="/workspace"]')
    screenshot("4-da-dang-nhap-signed-in")

    # The audiobook page: the player loads the first chapter's metadata.
    browser.get(live_server.url + book_path)
    assert book_title in browser.find_element(By.TAG_NAME, "h1").text
    duration = WebDriverWait(browser, 5).until(lambda d: d.execute_script(AUDIO_DURATION_JS))
    assert duration > 0, "the <audio> element could not load its chapter"
    screenshot("5-sach-noi-audiobook")
