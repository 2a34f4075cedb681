"""Pages (IIIF canvases) of a digitized item and what the digitization line makes of them.

A ``DigitalItem`` holds its pages in ``item.pages`` (a ``PersistentList`` of
``Canvas``, in reading order). Each canvas keeps:

- ``master``: the uploaded image (TIFF/JPEG/PNG, or the page rendered from an
  uploaded PDF) in a ZODB blob, never changed after ingest, with its SHA-256;
- ``derivative``: a pyramidal, tiled TIFF made from the master (pyvips), the
  source of every IIIF Image API response;
- ``text``: the OCR text of the page, ``words``: ``(text, x, y, w, h)`` tuples
  in master pixel coordinates in reading order, ``hocr``: the hOCR bytes.

The item itself may carry ``pdf`` (a blob with the searchable PDF/A) and its
rights: ``rights`` (a rightsstatements.org or Creative Commons URI),
``access`` (``"open"`` or ``"restricted"``: restricted items are served only to
staff and to holders of an access token, see ``repository.access``) and
``allow_download`` (the PDF may be downloaded by whoever may see the item).
"""
import hashlib
import uuid

from persistent import Persistent
from persistent.list import PersistentList
from ZODB.blob import Blob

__all__ = ["Canvas", "add_canvas", "pages_of", "canvas_of", "set_pdf", "OPEN", "RESTRICTED"]

OPEN = "open"
RESTRICTED = "restricted"


def _blob(data):
    blob = Blob()
    with blob.open("w") as f:
        f.write(data)
    return blob


class Canvas(Persistent):
    """One page of a digitized item."""

    derivative = None
    derivative_size = 0
    hocr = b""
    text = ""
    words = ()
    ocr_confidence = None     # mean word confidence 0–100 when OCR ran

    def __init__(self, master, mimetype, width, height, label=""):
        self.id = uuid.uuid4().hex[:12]
        self.label = label
        self.width = int(width)
        self.height = int(height)
        self.master_type = mimetype
        self.master_size = len(master)
        self.master_sha256 = hashlib.sha256(master).hexdigest()
        self.master = _blob(master)

    def set_derivative(self, data):
        """Store the pyramidal TIFF made from the master (replaces any earlier one)."""
        self.derivative = _blob(data)
        self.derivative_size = len(data)

    def set_ocr(self, text, words, hocr=b"", confidence=None):
        self.text = text
        self.words = tuple(tuple(w) for w in words)
        self.hocr = hocr
        self.ocr_confidence = confidence

    def derivative_path(self):
        """A file path of the pyramidal TIFF (for pyvips), or None before it exists."""
        return self.derivative.committed() if self.derivative is not None else None

    def master_path(self):
        return self.master.committed()


def pages_of(item):
    """The item's canvases in reading order (an empty tuple for items without pages)."""
    return getattr(item, "pages", None) or ()


def canvas_of(item, canvas_id):
    for canvas in pages_of(item):
        if canvas.id == canvas_id:
            return canvas
    return None


def add_canvas(item, master, mimetype, width, height, label=""):
    """Append a page to ``item`` and return it."""
    if getattr(item, "pages", None) is None:
        item.pages = PersistentList()
    canvas = Canvas(master, mimetype, width, height, label=label or str(len(item.pages) + 1))
    item.pages.append(canvas)
    return canvas


def set_pdf(item, data):
    """Store the item's searchable PDF (PDF/A)."""
    item.pdf = _blob(data)
    item.pdf_size = len(data)
    item.pdf_sha256 = hashlib.sha256(data).hexdigest()
