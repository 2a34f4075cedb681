"""The digitize job end to end with real OCRmyPDF, Tesseract (vie+eng) and libvips."""
import hashlib
import io

import pikepdf
import pytest
import pyvips

from tests.digitization_support import (BODY, TITLE_PAGE, blank_page, item_of, job_row, make_item,
                                        pdf_of, render_page, run_queued, stage_and_queue)


def test_page_images_become_searchable_pages_with_boxes_pdfa_tiles_and_a_suggestion(app, portal):
    uid, _name = make_item(portal)
    title_png, title_boxes = render_page(TITLE_PAGE)
    body_png, body_boxes = render_page(BODY)
    job_id = stage_and_queue(portal, uid, [("001.png", title_png), ("002.png", body_png)])
    assert run_queued(app) == {job_id: "done"}, job_row(app, job_id).message_en
    job = job_row(app, job_id)
    assert job.progress == 100 and job.warnings == []
    assert "2" in job.message_vi and "2 pages" in job.message_en

    with portal() as p:
        item = item_of(p, uid)
        first, second = item.pages
        # masters unchanged, with their SHA-256
        assert first.master_sha256 == hashlib.sha256(title_png).hexdigest()
        with open(first.master_path(), "rb") as f:
            assert f.read() == title_png
        assert (first.width, first.height) == (1240, 1754)
        # Vietnamese text with its diacritics, and word boxes where the words were drawn
        assert "Sêrêpốk" in second.text and "Tây Nguyên" in second.text
        word = next(w for w in second.words if w[0] == "Sêrêpốk")
        line = body_boxes[BODY[1]]
        assert line[0] - 5 <= word[1] <= line[0] + line[2]
        assert abs(word[2] - line[1]) < 20 and 0 < word[4] < 60
        assert b"ocrx_word" in second.hocr
        # the searchable PDF/A: two pages, PDF/A claimed, text extractable
        with item.pdf.open("r") as f:
            pdf = pikepdf.open(io.BytesIO(f.read()))
        assert len(pdf.pages) == 2
        assert pdf.open_metadata().pdfa_status.startswith("2")
        # pyramidal, tiled JPEG TIFF derivatives
        tiff = pyvips.Image.new_from_file(first.derivative_path())
        assert tiff.get("n-pages") >= 2 and tiff.width == 1240
        assert tiff.get("tile-width") == 512 if "tile-width" in tiff.get_fields() else True
        # the suggestion waits for a librarian; the item is unchanged
        values = item.metadata_suggestion["values"]
        assert values["isbn"] == "9786047012343"
        assert values["year"] == 2015 and values["place"] == "Hà Nội"
        assert values["publisher"] == "Nhà xuất bản Văn hóa Dân tộc"
        assert values["creators"] == ["Nguyễn Văn An"]
        assert "ĐẮK LẮK" in values["title"].upper() and values["language"] == "vie"
        assert values["ddc"].startswith("959")
        assert item.title == "Bản quét thử" and not item.isbn


def test_a_page_ocr_cannot_read_completes_with_a_warning_for_that_page(app, portal):
    uid, _name = make_item(portal)
    body_png, _boxes = render_page(BODY)
    job_id = stage_and_queue(portal, uid, [("a.png", body_png), ("b.png", blank_page())])
    assert run_queued(app) == {job_id: "done"}
    job = job_row(app, job_id)
    assert len(job.warnings) == 1
    vi, en = job.warnings[0]
    assert vi.startswith("Trang 2:") and en.startswith("Page 2:")
    with portal() as p:
        item = item_of(p, uid)
        assert len(item.pages) == 2 and item.pages[1].derivative is not None


def test_a_pdf_of_scans_is_rendered_to_masters_at_its_resolution(app, portal):
    uid, _name = make_item(portal)
    pages = [render_page(BODY)[0], render_page(TITLE_PAGE)[0]]
    job_id = stage_and_queue(portal, uid, [("sach.pdf", pdf_of(pages))])
    assert run_queued(app) == {job_id: "done"}
    with portal() as p:
        item = item_of(p, uid)
        assert [c.master_type for c in item.pages] == ["image/png", "image/png"]
        assert (item.pages[0].width, item.pages[0].height) == (1240, 1754)
        assert "Sêrêpốk" in item.pages[0].text


def test_a_second_upload_adds_pages_after_the_first(app, portal):
    uid, _name = make_item(portal)
    stage_and_queue(portal, uid, [("1.png", render_page(TITLE_PAGE)[0])])
    run_queued(app)
    stage_and_queue(portal, uid, [("2.png", render_page(BODY)[0])])
    run_queued(app)
    with portal() as p:
        item = item_of(p, uid)
        assert len(item.pages) == 2 and "Sêrêpốk" in item.pages[1].text
        assert item.metadata_suggestion["values"]["isbn"] == "9786047012343"   # from page 1


@pytest.mark.parametrize("size", [(4960, 7016)])
def test_a_600_dpi_page_gets_a_pyramid(tmp_path, size):
    from repository.digitization.derivatives import pyramidal_tiff
    path = tmp_path / "scan.tif"
    pyvips.Image.black(*size).invert().tiffsave(str(path), xres=600 / 25.4, yres=600 / 25.4)
    data = pyramidal_tiff(str(path))
    tiff = pyvips.Image.new_from_buffer(data, "")
    assert tiff.width == size[0] and tiff.get("n-pages") >= 5
    assert len(data) < path.stat().st_size / 10


def test_pages_of_an_upload_that_never_finished_give_way_to_the_next_upload(app, portal):
    from persistent.mapping import PersistentMapping

    from repository.pages import add_canvas
    uid, _name = make_item(portal)
    with portal() as p:                  # an earlier job stored a master, then failed in OCR
        item = item_of(p, uid)
        add_canvas(item, b"\x89PNG half-made", "image/png", 10, 10)
        item.digitization = PersistentMapping(batch="0" * 12, first=0, stage="ocr", ingested=1)
    stage_and_queue(portal, uid, [("1.png", render_page(BODY)[0])])
    run_queued(app)
    with portal() as p:
        item = item_of(p, uid)
        assert len(item.pages) == 1 and "Sêrêpốk" in item.pages[0].text
