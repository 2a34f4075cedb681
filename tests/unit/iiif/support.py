"""Digitized items for the IIIF tests: pages with a pyramidal TIFF (pyvips) and OCR
words placed by hand, added through the content service so the site catalogue
knows their uid."""
import pyvips

from repository.interfaces import IContentService
from repository.pages import add_canvas, set_pdf
from repository.resources import Site

#: (text, x, y, w, h) on a 1200 × 1700 page: two lines, a phrase across the line end
WORDS = [
    ("Tỉnh", 100, 100, 120, 40), ("Đắk", 240, 100, 100, 40), ("Lắk", 360, 100, 90, 40),
    ("có", 470, 100, 60, 40), ("nhiều", 550, 100, 130, 40), ("thác", 700, 100, 110, 40),
    ("nước.", 830, 100, 130, 40),
    ("Buôn", 100, 160, 130, 40), ("Ma", 250, 160, 70, 40), ("Thuột", 340, 160, 140, 40),
    ("là", 500, 160, 50, 40), ("thủ", 570, 160, 80, 40), ("phủ", 670, 160, 80, 40),
    ("của", 770, 160, 80, 40), ("Đắk", 870, 160, 100, 40),
    ("Lắk.", 100, 220, 100, 40), ("Dak", 220, 220, 100, 40), ("Lak", 340, 220, 90, 40),
]


def pyramid_tiff(image=None, width=1200, height=1700):
    """A tiled, pyramidal, JPEG-compressed TIFF (what the digitization line makes)."""
    if image is None:
        x = pyvips.Image.xyz(width, height)
        image = ((x[0] * 255 / width).bandjoin([x[1] * 255 / height,
                                                 x[0] * 0 + 140])).cast("uchar")
    from repository.digitization.derivatives import QUALITY, TILE
    return image.tiffsave_buffer(tile=True, pyramid=True, compression="jpeg", Q=QUALITY,
                                 tile_width=TILE, tile_height=TILE, strip=True)


def validator_image():
    """The IIIF validator's test image: 10 × 10 squares of 100 px in its own colours."""
    from iiif_validator.validator import ValidationInfo
    colours = ValidationInfo().colorInfo
    rows = []
    for y in range(10):
        row = [pyvips.Image.black(100, 100, bands=3).new_from_image(list(colours[x][y]))
               .cast("uchar") for x in range(10)]
        rows.append(row)
    return pyvips.Image.arrayjoin([square for row in rows for square in row], across=10)


def ensure_site(root, request, name="bmt"):
    if name not in root:
        site = Site(title="Buôn Ma Thuột", code="BMT")
        site.state = "published"
        root.add(name, site)
    site = root[name]
    if "so-hoa" not in site:
        service = request.find_service(IContentService)
        collection, errors = service.add(site, "Collection", {"title": "Tài liệu số hóa"},
                                         name="so-hoa")
        assert not errors, errors
        service.transition(collection, "publish")
    return site


def add_item(p, title="Địa chí Đắk Lắk", site="bmt", pages=2, words=WORDS, state="published",
             access="open", pdf=None, allow_download=False, rights="", image=None,
             size=(1200, 1700)):
    """Create a digitized item in ``p`` (a ``portal()`` context); returns (uid, canvas ids)."""
    service = p.request.find_service(IContentService)
    collection = ensure_site(p.root, p.request, site)["so-hoa"]
    item, errors = service.add(collection, "DigitalItem", {
        "title": title, "creators": ["Nguyễn Văn A"], "publisher": "Nxb Đắk Lắk",
        "year": "2020", "language": "vie", "description": "Sách địa chí tỉnh."})
    assert not errors, errors
    item.access = access
    item.allow_download = allow_download
    item.rights = rights
    tiff = pyramid_tiff(image, *size) if image is not None or size else None
    ids = []
    for n in range(pages):
        canvas = add_canvas(item, b"master-%d" % n, "image/tiff", size[0], size[1])
        canvas.set_derivative(tiff)
        canvas.set_ocr(" ".join(w[0] for w in words), words if n == 0 else words[:3])
        ids.append(canvas.id)
    if pdf is not None:
        set_pdf(item, pdf)
    if state == "published":
        service.transition(item, "publish")
    return item.uid, ids
