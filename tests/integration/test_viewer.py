"""Mirador 4, served from our own static files, reads a demo item in headless Chromium.

The demo gives "Lịch sử Đắk Lắk qua các thời kỳ" three pages rendered from known
text, so the word "chiêng" is known to sit on page 1. The browser opens the
item page, follows "Đọc trực tuyến" to the viewer, and we check what a reader
would see: page 1's image drawn (ink on the OpenSeadragon canvas, image
requests answered by our IIIF server), the Vietnamese interface, a content
search from the panel listing the hit with its context, and the hit
highlighted on the page, larger once the reader zooms in (tiles, not the
whole page). Another origin's page then fetches the manifest and info.json as a
viewer elsewhere would (CORS, with a preflight). A restricted item shows only
its notice, until the reader comes with a digital loan's access token: then
Mirador draws its pages through token-carrying IIIF addresses. Screenshots
land in test-artifacts/ for a person to look at.
"""
import io
import os

import pytest

pytest.importorskip("selenium", reason="selenium is in requirements/test.txt: run `make test`")

from PIL import Image  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from portal.views.viewer import BUNDLE  # noqa: E402

TITLE = "Lịch sử Đắk Lắk qua các thời kỳ (tài liệu mẫu)"
WORD = "chiêng"

IIIF_REQUESTS_JS = """
return performance.getEntriesByType('resource').map(e => e.name)
  .filter(n => n.indexOf('/iiif/') >= 0);
"""

CROSS_ORIGIN_FETCH_JS = """
const done = arguments[arguments.length - 1];
const get = (url, headers) => fetch(url, {mode: 'cors', headers: headers || {}})
  .then(r => r.json().then(j => [r.status, j.type || j['@type'] || '', j.id || j['@id'] || '']))
  .catch(e => ['error', String(e), '']);
Promise.all([get(arguments[0]), get(arguments[1], {'X-Serepok-Access': 'none'})]).then(done);
"""


def demo_item(portal):
    from repository.resources import DigitalItem
    with portal() as p:
        for obj in p.root["bmt"]["dia-chi"].values():
            if isinstance(obj, DigitalItem) and obj.title == TITLE:
                return "/bmt/dia-chi/" + obj.__name__ + "/", obj.uid, obj.pages[0].id
    raise AssertionError("the demo has no scanned item " + TITLE)


def page_pixels(browser):
    """(ink, highlight) pixel counts of the OpenSeadragon view as the reader sees it."""
    view = browser.find_element(By.CSS_SELECTOR, "#mirador .openseadragon-container")
    image = Image.open(io.BytesIO(view.screenshot_as_png)).convert("RGB")
    ink = highlight = 0
    for r, g, b in image.getdata():
        if r + g + b < 450:
            ink += 1                    # the page's text (grey when the page is small)
        elif r > 200 and g > 190 and r - b > 50:
            highlight += 1              # Mirador's yellow fill (paper and ink are near grey)
    return ink, highlight


@pytest.mark.browser
def test_a_reader_reads_and_searches_a_scan_in_mirador(browser, screenshot, demo, portal,
                                                        live_server):
    assert os.path.exists(BUNDLE), (
        "Mirador is not built: run `make assets` (make test does)")
    item_path, uid, first_canvas = demo_item(portal)
    wait = WebDriverWait(browser, 20)

    # The item page offers "Đọc trực tuyến"; it opens our viewer page.
    browser.get(live_server.url + item_path)
    browser.find_element(By.LINK_TEXT, "Đọc trực tuyến").click()
    wait.until(EC.url_to_be(live_server.url + item_path + "read"))
    assert TITLE in browser.find_element(By.TAG_NAME, "h1").text
    pdf = browser.find_element(By.PARTIAL_LINK_TEXT, "Tải PDF")
    assert pdf.get_attribute("href") == f"{live_server.url}/iiif/pdf/{uid}"

    # Page 1 is drawn: its image came from our IIIF server and ink is on the canvas.
    wait.until(lambda d: page_pixels(d)[0] > 1000)
    requests = browser.execute_script(IIIF_REQUESTS_JS)
    assert f"{live_server.url}/iiif/manifest/{uid}" in requests
    assert any(f"/iiif/3/{uid}~{first_canvas}/" in r and r.endswith(".jpg") for r in requests)
    # Mirador speaks Vietnamese: page label and the sidebar's buttons.
    mirador = browser.find_element(By.ID, "mirador")
    assert "Trang 1" in mirador.text
    assert mirador.find_elements(By.CSS_SELECTOR, '[role="tab"][aria-label="Tìm"]')
    assert page_pixels(browser)[1] < 20, "something is highlighted before any search"
    screenshot("1-trang-1-page-1")

    # The reader searches inside the document from the search panel.
    mirador.find_element(By.CSS_SELECTOR, '[role="tab"][aria-label="Tìm"]').click()
    box = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#mirador form input")))
    box.send_keys(WORD)
    box.send_keys(Keys.ENTER)
    hit = wait.until(EC.visibility_of_element_located(
        (By.XPATH, "//*[@id='mirador']//li[contains(., 'tiếng cồng')]")))
    assert WORD in hit.text and "Trang 1" in hit.text
    assert any("/iiif/search/" in r for r in browser.execute_script(IIIF_REQUESTS_JS))

    # The hit is highlighted on page 1 (Mirador selects the first hit and shows its page).
    wait.until(lambda d: page_pixels(d)[1] > 50)
    before_zoom = page_pixels(browser)[1]
    # The reader zooms in (2×): tiles of page 1 arrive and the highlight grows with the word.
    mirador.find_element(By.CSS_SELECTOR, 'button[aria-label="Phóng to"]').click()
    wait.until(lambda d: page_pixels(d)[1] > 2 * before_zoom)
    tiles = [r for r in browser.execute_script(IIIF_REQUESTS_JS)
             if f"~{first_canvas}/" in r and "/full/" not in r]
    assert tiles, "no region (tile) request reached the IIIF server"
    screenshot("2-ket-qua-tim-search-hit")


@pytest.mark.browser
def test_a_viewer_elsewhere_may_fetch_the_manifest_and_image_info(browser, demo, portal,
                                                                  live_server):
    _path, uid, first_canvas = demo_item(portal)
    # "localhost" and "127.0.0.1" are two origins: this page plays a viewer on another site.
    other_origin = live_server.url.replace("127.0.0.1", "localhost")
    browser.get(other_origin + "/healthz")
    browser.set_script_timeout(15)
    manifest, info = browser.execute_async_script(
        CROSS_ORIGIN_FETCH_JS, f"{live_server.url}/iiif/manifest/{uid}",
        f"{live_server.url}/iiif/3/{uid}~{first_canvas}/info.json")
    assert manifest == [200, "Manifest", f"{live_server.url}/iiif/manifest/{uid}"]
    assert info[:2] == [200, "ImageService3"]


@pytest.mark.browser
def test_a_reader_with_a_digital_loan_reads_a_restricted_scan(browser, screenshot, demo,
                                                              portal, live_server):
    import time

    from repository.access import IAccessTokens
    from repository.resources import DigitalItem
    with portal() as p:
        book = [o for o in p.root["bmt"]["dia-chi"]["su-thi"].values()
                if isinstance(o, DigitalItem) and o.access == "restricted"][0]
        path = "/bmt/dia-chi/su-thi/" + book.__name__ + "/read"
        token = p.request.registry.getUtility(IAccessTokens).issue(
            book.uid, "reader-1", time.time() + 600)
    # Without the loan's token: the restricted notice, no viewer, no image requested.
    browser.get(live_server.url + path)
    assert "Tài liệu hạn chế" in browser.find_element(By.TAG_NAME, "main").text
    assert not browser.find_elements(By.ID, "mirador")
    # With it (the link the reader's loan gives): page 1 is drawn from token-carrying addresses.
    browser.get(f"{live_server.url}{path}?access={token}")
    WebDriverWait(browser, 20).until(lambda d: page_pixels(d)[0] > 1000)
    assert any(f"/iiif/3/{book.uid}~" in r and r.endswith(".jpg")
               for r in browser.execute_script(IIIF_REQUESTS_JS))
    screenshot("muon-so-loan")
