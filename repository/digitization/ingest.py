"""From staged upload files to page masters: checks, then one canvas per page.

A PDF is checked with pikepdf (encrypted, damaged, no pages, no page images)
and each page is rendered (pypdfium2) at the resolution of its scan to a PNG
master. TIFF, JPEG and PNG files become masters unchanged (a multi-page TIFF
gives one lossless TIFF per page). Every check fails with a message in
Vietnamese and English; nothing staged is removed here.
"""
import io
import os

from . import JobFailure
from .derivatives import resolution, size_of
from .staging import JPEG, PDF, PNG, TIFF, sniff

MIN_DPI, MAX_DPI, DEFAULT_DPI = 150, 600, 300


def kind_of(path):
    with open(path, "rb") as f:
        return sniff(f.read(2048))


def _name(path):
    return os.path.basename(path).split("-", 1)[-1]


def check_pdf(path):
    """``[(page width pt, page height pt, render dpi)]`` of a scanned PDF, or JobFailure."""
    import pikepdf
    name = _name(path)
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError:
        raise JobFailure(f"Tệp {name} được mã hóa (có mật khẩu); hãy tải lên bản không mã hóa.",
                         f"{name} is encrypted (password protected); upload an unencrypted copy.")
    except (pikepdf.PdfError, OSError, ValueError) as exc:
        raise JobFailure(f"Tệp {name} bị hỏng, không đọc được ({exc}).",
                         f"{name} is damaged and cannot be read ({exc}).")
    with pdf:
        if pdf.is_encrypted:
            raise JobFailure(f"Tệp {name} được mã hóa; hãy tải lên bản không mã hóa.",
                             f"{name} is encrypted; upload an unencrypted copy.")
        try:
            pages = list(pdf.pages)
        except pikepdf.PdfError as exc:
            raise JobFailure(f"Tệp {name} bị hỏng ({exc}).", f"{name} is damaged ({exc}).")
        if not pages:
            raise JobFailure(f"Tệp {name} không có trang nào.", f"{name} has no pages.")
        found, layout = False, []
        for page in pages:
            try:
                box = [float(v) for v in page.mediabox]
                widest = 0
                # images inside form XObjects too: some scanners draw the page through one
                for image in page.get_images().values():
                    widest = max(widest, int(image.get("/Width", 0)))
            except (pikepdf.PdfError, ValueError, TypeError) as exc:
                raise JobFailure(f"Tệp {name} bị hỏng ({exc}).", f"{name} is damaged ({exc}).")
            width_pt, height_pt = abs(box[2] - box[0]) or 612, abs(box[3] - box[1]) or 792
            found = found or widest > 0
            dpi = widest / (width_pt / 72) if widest else DEFAULT_DPI
            layout.append((width_pt, height_pt, max(MIN_DPI, min(MAX_DPI, dpi))))
        if not found:
            raise JobFailure(f"Tệp {name} không có ảnh trang nào: đây không phải bản quét. "
                             "Hãy tải lên bản quét (ảnh các trang).",
                             f"{name} contains no page images: it is not a scan. "
                             "Upload the scanned pages.")
    return layout


def render_pdf_pages(path, layout):
    """Yield ``(png bytes, width, height)`` of each page, one page in memory at a time."""
    import pypdfium2 as pdfium
    document = pdfium.PdfDocument(path)
    try:
        for index, (_w, _h, dpi) in enumerate(layout):
            page = document[index]
            bitmap = page.render(scale=dpi / 72, grayscale=False)
            image = bitmap.to_pil()
            # the scan's own pixel size: pdfium rounds 1240.0000001 up to 1241
            want = (round(_w * dpi / 72), round(_h * dpi / 72))
            if image.size != want and all(0 < a - b <= 2 for a, b in zip(image.size, want)
                                          if a != b):
                image = image.crop((0, 0) + want)
            if image.mode == "RGB" and _is_grey(image):
                image = image.convert("L")
            out = io.BytesIO()
            image.save(out, format="PNG", dpi=(round(dpi), round(dpi)), compress_level=3)
            yield out.getvalue(), image.width, image.height
            page.close()
    finally:
        document.close()


def _is_grey(image):
    small = image.resize((64, 64))
    return all(r == g == b for r, g, b in small.getdata())


def image_pages(path):
    """Yield ``(bytes, media type, width, height, dpi)`` of each page of an image file."""
    import pyvips
    name = _name(path)
    kind = kind_of(path)
    try:
        width, height, pages = size_of(path)
        dpi = resolution(path)
    except pyvips.Error as exc:
        raise JobFailure(f"Ảnh {name} bị hỏng, không đọc được.",
                         f"The image {name} is damaged and cannot be read.") from exc
    if width < 50 or height < 50:
        raise JobFailure(f"Ảnh {name} quá nhỏ để là một trang quét ({width}×{height}).",
                         f"The image {name} is too small to be a scanned page ({width}×{height}).")
    try:
        if kind == TIFF and pages > 1:
            for page in range(pages):
                image = pyvips.Image.new_from_file(path, page=page)
                yield (image.tiffsave_buffer(compression="deflate"), TIFF, image.width,
                       image.height, dpi)
            return
        # decode it once to know it is whole: a truncated scan fails here, not in the OCR
        pyvips.Image.new_from_file(path, access="sequential", fail=True).avg()
    except pyvips.Error as exc:
        raise JobFailure(f"Ảnh {name} bị hỏng, không đọc được.",
                         f"The image {name} is damaged and cannot be read.") from exc
    with open(path, "rb") as f:
        yield f.read(), kind, width, height, dpi


def check_images(paths):
    """Every staged file is an image we accept (PDFs come alone)."""
    for path in paths:
        if kind_of(path) not in (TIFF, JPEG, PNG):
            raise JobFailure(f"{_name(path)} không phải ảnh TIFF, JPEG hay PNG.",
                             f"{_name(path)} is not a TIFF, JPEG or PNG image.")


__all__ = ["check_pdf", "render_pdf_pages", "image_pages", "check_images", "kind_of",
           "PDF", "JPEG", "PNG", "TIFF"]
