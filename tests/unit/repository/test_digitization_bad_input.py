"""Bad scans: each fails its job with a clear message in Vietnamese and English, the
upload stays for a retry, and the worker goes on with the next job."""
import os

import pytest

from repository.digitization import staging
from tests.digitization_support import (BODY, corrupt_pdf, encrypted_pdf, item_of, job_row,
                                        make_item, render_page, run_queued, stage_and_queue,
                                        text_only_pdf, zero_page_pdf)

BAD = {
    "encrypted": (lambda: [("khoa.pdf", encrypted_pdf([render_page(BODY)[0]]))],
                  "mã hóa", "encrypted"),
    "corrupt": (lambda: [("hong.pdf", corrupt_pdf())], "hỏng", "damaged"),
    "no pages": (lambda: [("rong.pdf", zero_page_pdf())], "không có trang", "no pages"),
    "no images": (lambda: [("chu.pdf", text_only_pdf())], "không có ảnh trang", "no page images"),
    "truncated image": (lambda: [("cut.png", render_page(BODY)[0][:3000])], "hỏng", "damaged"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_scan_fails_with_a_reason_keeps_the_upload_and_the_queue_goes_on(app, portal, case):
    files, vi, en = BAD[case]
    uid, _name = make_item(portal)
    bad = stage_and_queue(portal, uid, files())
    good_uid, _n = make_item(portal, "Bản quét tốt")
    good = stage_and_queue(portal, good_uid, [("1.png", render_page(BODY)[0])])
    assert run_queued(app) == {bad: "failed", good: "done"}
    job = job_row(app, bad)
    assert vi in job.message_vi and en in job.message_en
    # nothing uploaded is lost: the batch is still staged for a retry
    assert len(staging.files_of(app.registry.settings, uid, job.params["batch"])) == 1
    with portal() as p:
        assert not getattr(item_of(p, uid), "pages", None)
        assert len(item_of(p, good_uid).pages) == 1


def sniffs(name, data, settings, uid="0" * 32):
    class Field:
        filename = name

        def __init__(self):
            import io
            self.file = io.BytesIO(data)
    return staging.receive(settings, uid, [Field()])


def test_empty_unsupported_and_too_large_uploads_are_refused_while_streaming(app):
    from repository.uploads import UploadError
    settings = dict(app.registry.settings, **{"digitization.max_upload_bytes": str(3 << 20)})
    with pytest.raises(UploadError) as empty:
        sniffs("a.pdf", b"", settings)
    assert "is empty" in empty.value.message
    with pytest.raises(UploadError) as unsupported:
        sniffs("a.docx", b"PK\x03\x04" + b"x" * 100, settings)
    assert "not a PDF, TIFF, JPEG or PNG" in unsupported.value.message.default
    with pytest.raises(UploadError) as big:
        sniffs("big.tif", b"II*\x00" + b"\x00" * (5 << 20), settings)
    assert "larger than the limit of 3 MB" in big.value.message.interpolate()
    # nothing refused is left on disk
    root = os.path.join(staging.root_dir(settings), "0" * 32)
    assert not os.path.exists(root) or os.listdir(root) == []


def test_a_scan_drawn_through_a_form_xobject_is_still_a_scan(tmp_path):
    """Some scanners put the page image inside a form XObject: it is found, at its
    resolution, and the PDF is not refused as "no page images"."""
    import pikepdf

    from repository.digitization.ingest import check_pdf
    pdf = pikepdf.new()
    image = pikepdf.Stream(pdf, b"\x80" * (1240 * 8), Type=pikepdf.Name.XObject,
                           Subtype=pikepdf.Name.Image, Width=1240, Height=8,
                           ColorSpace=pikepdf.Name.DeviceGray, BitsPerComponent=8)
    form = pikepdf.Stream(pdf, b"q 595 0 0 842 0 0 cm /Im0 Do Q", Type=pikepdf.Name.XObject,
                          Subtype=pikepdf.Name.Form, BBox=[0, 0, 595, 842],
                          Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image)))
    page = pikepdf.Dictionary(Type=pikepdf.Name.Page, MediaBox=[0, 0, 595, 842],
                              Resources=pikepdf.Dictionary(
                                  XObject=pikepdf.Dictionary(Fx0=form)),
                              Contents=pikepdf.Stream(pdf, b"/Fx0 Do"))
    pdf.pages.append(pikepdf.Page(page))
    path = tmp_path / "quet-form.pdf"
    pdf.save(path)
    [(width, height, dpi)] = check_pdf(str(path))
    assert (width, height) == (595, 842) and round(dpi) == 150
