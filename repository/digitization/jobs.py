"""The ``digitize`` job: staged scans → masters → OCR, PDF/A → derivatives → suggestion.

Each stage commits its results before the next starts and records how far it
got on the item (``item.digitization``), so a job queued again after its worker
died resumes instead of starting over, and whatever failed leaves the staged
upload in place for a retry.
"""
import concurrent.futures
import logging
import os
import shutil
import threading

from persistent.mapping import PersistentMapping
from pyramid.traversal import find_resource

from ..interfaces import ObjectModified
from ..pages import add_canvas, pages_of, set_pdf
from ..resources import now
from . import JobFailure, staging
from .derivatives import pyramidal_tiff, resolution
from .ingest import PDF, check_images, check_pdf, image_pages, kind_of, render_pdf_pages
from .metadata import suggest
from .ocr import cores, hocr_of, images_to_pdf, parse_hocr, run_ocrmypdf

log = logging.getLogger(__name__)
FIRST_PAGES = 5           # pages read for the metadata suggestion
COMMIT_EVERY = 10         # pages per transaction while storing masters and derivatives


class DerivativesAhead(threading.Thread):
    """Pyramidal TIFFs of the masters written to ``directory`` by a low-priority thread."""

    def __init__(self, paths, directory):
        super().__init__(daemon=True, name="derivatives-ahead")
        self.paths, self.directory = paths, directory
        self.stop = threading.Event()

    def run(self):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        except OSError:
            pass
        os.makedirs(self.directory, exist_ok=True)
        for index, path in enumerate(self.paths):
            if self.stop.is_set():
                return
            try:
                self.make(self.directory, index, path)
            except Exception:       # made again (and reported) when the pages are stored
                log.warning("derivative of %s not made ahead", path, exc_info=True)

    @staticmethod
    def make(directory, index, path):
        """Write the pyramid of page ``index`` unless it is there already."""
        os.makedirs(directory, exist_ok=True)
        target = os.path.join(directory, f"{index:06d}.tif")
        if os.path.exists(target):
            return
        part = f"{target}.{threading.get_ident()}.part"
        with open(part, "wb") as f:
            f.write(pyramidal_tiff(path))
        os.replace(part, target)

    @staticmethod
    def take(directory, index, path):
        """The pyramid made ahead for page ``index``, or one made now."""
        target = os.path.join(directory, f"{index:06d}.tif")
        if os.path.exists(target):
            with open(target, "rb") as f:
                return f.read()
        return pyramidal_tiff(path)


def find_item(root, uid):
    """The object with ``uid`` through the sites' catalogues, or None."""
    for site in root.sites():
        docid = site.catalog.docid_by_uid.get(uid)
        if docid is None:
            continue
        path = site.catalog.path_by_docid.get(docid)
        try:
            obj = find_resource(root, path)
        except KeyError:
            continue
        if getattr(obj, "uid", None) == uid:
            return obj
    return None


def _item(request, uid):
    item = find_item(request.root, uid)
    if item is None:
        raise JobFailure("Tài liệu số này không còn nữa (đã xóa?).",
                         "This digital item no longer exists (deleted?).")
    return item


def state_of(item):
    """The item's digitization record: batch, stage reached, page count, warnings."""
    state = getattr(item, "digitization", None)
    if state is None:
        state = item.digitization = PersistentMapping()
    return state


def digitize(ctx):
    settings = ctx.registry.settings
    uid, batch = ctx.target, ctx.params["batch"]
    files = staging.files_of(settings, uid, batch)
    work = os.path.join(staging.batch_dir(settings, uid, batch), ".work")
    os.makedirs(work, exist_ok=True)

    def begin(request):
        item = _item(request, uid)
        state = state_of(item)
        if state.get("batch") != batch:     # a new upload adds its pages after the old ones
            if state.get("batch") and state.get("stage") != "done":
                # an earlier upload that never finished: its files are still staged (it can
                # be uploaded or retried again), its half-made pages go
                del item.pages[state.get("first", len(pages_of(item))):]
            state.clear()
            state.update(batch=batch, first=len(pages_of(item)), stage="ingest", ingested=0)
        return dict(state)
    state = ctx.change(begin)
    first = state["first"]

    # 1. masters (resumes after the last committed page)
    ctx.progress(2, "Đang kiểm tra và lưu ảnh gốc…", "Checking and storing the masters…")
    is_pdf = len(files) == 1 and kind_of(files[0]) == PDF
    if is_pdf:
        layout = check_pdf(files[0])
        pages = ((data, "image/png", w, h) for data, w, h in render_pdf_pages(files[0], layout))
        total = len(layout)
    else:
        check_images(files)
        pages = ((data, kind, w, h) for path in files for data, kind, w, h, _dpi in image_pages(path))
        total = None
    if state["stage"] == "ingest":
        done = state["ingested"]
        pending = []

        def store(request):
            item = _item(request, uid)
            for data, kind, w, h in pending:
                add_canvas(item, data, kind, w, h)
            state_of(item)["ingested"] = len(pages_of(item)) - first
        for index, page in enumerate(pages):
            if index < done:
                continue
            pending.append(page)
            if len(pending) >= COMMIT_EVERY:
                ctx.change(store)
                pending.clear()
                ctx.progress(2 + 8 * (index + 1) / (total or index + 2),
                             f"Đã lưu {index + 1} trang gốc…", f"{index + 1} masters stored…")
        ctx.change(store)
        pending.clear()
        ctx.change(lambda r: state_of(_item(r, uid)).update(stage="ocr"))

    # 2. OCR: the searchable PDF/A and the text of every page
    masters = ctx.change(lambda r: [(c.master_path(), c.width, c.height)
                                    for c in pages_of(_item(r, uid))[first:]])
    count = len(masters)
    if not count:
        raise JobFailure("Không có trang nào để nhận dạng.", "There are no pages to recognise.")
    stage = ctx.change(lambda r: state_of(_item(r, uid))["stage"])
    if stage == "ocr":
        if is_pdf:
            source = files[0]
        else:
            source = os.path.join(work, "pages.pdf")
            images_to_pdf([m[0] for m in masters], source, [resolution(m[0]) for m in masters])
        ctx.progress(10, f"Đang nhận dạng chữ (OCR) {count} trang…",
                     f"Recognising text (OCR) on {count} pages…")
        # the pyramids are made meanwhile, at a lower priority: they fill the moments
        # Tesseract leaves a core idle (OCRmyPDF's start and its PDF assembly)
        early = DerivativesAhead([m[0] for m in masters], os.path.join(work, "tiles"))
        early.start()
        out_pdf = os.path.join(work, "ocr.pdf")
        try:
            ocr_dir = run_ocrmypdf(
                source, out_pdf, work, jobs=cores(settings), pages=count,
                timeout_per_page=int(settings.get("digitization.tesseract_timeout", 180)),
                languages=settings.get("digitization.ocr_languages", "vie+eng"),
                progress=lambda n: ctx.progress(10 + 70 * n / count,
                                                f"Đã nhận dạng {n}/{count} trang…",
                                                f"{n}/{count} pages recognised…"))
        except BaseException:
            early.stop.set()
            raise
        parsed = []
        for number, (_path, width, height) in enumerate(masters, 1):
            data = hocr_of(ocr_dir, number)
            text, words, confidence, lines = parse_hocr(data, width, height) if data else ("", [], None, [])
            parsed.append((data or b"", text, words, confidence, lines))
            if not text.strip():
                ctx.warn(f"Trang {first + number}: không nhận dạng được chữ nào (trang trắng, ảnh "
                         "hoặc bản quét mờ?). Trang vẫn được lưu.",
                         f"Page {first + number}: no text could be recognised (blank page, picture "
                         "or a blurred scan?). The page is kept.")

        def store_ocr(request):
            item = _item(request, uid)
            canvases = pages_of(item)[first:]
            for canvas, (hocr, text, words, confidence, _lines) in zip(canvases, parsed):
                canvas.set_ocr(text, words, hocr=hocr, confidence=confidence)
            with open(out_pdf, "rb") as f:
                set_pdf(item, f.read())
            state_of(item).update(stage="derivatives", derived=0)
        ctx.change(store_ocr)
        shutil.rmtree(os.path.join(work, "ocrmypdf"), ignore_errors=True)
        early.stop.set()         # the cores are free now: the rest in parallel, below
        early.join()

    else:     # resumed after the OCR was stored: read it back
        parsed = ctx.change(lambda r: [
            (c.hocr, c.text, c.words, c.ocr_confidence,
             parse_hocr(c.hocr, c.width, c.height)[3] if c.hocr else [])
            for c in pages_of(_item(r, uid))[first:]])

    # 3. pyramidal TIFFs for the IIIF image server (libvips releases the GIL: one per core)
    done = ctx.change(lambda r: state_of(_item(r, uid)).get("derived", 0))
    tiles = os.path.join(work, "tiles")
    with concurrent.futures.ThreadPoolExecutor(cores(settings)) as pool:
        list(pool.map(lambda i: DerivativesAhead.make(tiles, i, masters[i][0]),
                      range(done, count)))
    for start in range(done, count, COMMIT_EVERY):
        chunk = [DerivativesAhead.take(os.path.join(work, "tiles"), start + i, path)
                 for i, (path, _w, _h) in enumerate(masters[start:start + COMMIT_EVERY])]

        def store_derivatives(request, start=start, chunk=chunk):
            item = _item(request, uid)
            for canvas, data in zip(pages_of(item)[first + start:], chunk):
                canvas.set_derivative(data)
            state_of(item)["derived"] = start + len(chunk)
        ctx.change(store_derivatives)
        n = min(count, start + COMMIT_EVERY)
        ctx.progress(80 + 18 * n / count, f"Đã tạo ảnh IIIF cho {n}/{count} trang…",
                     f"IIIF images made for {n}/{count} pages…")

    # 4. suggested metadata from the first pages, kept until a librarian accepts it
    suggestion = suggest([(text, lines) for _h, text, _w, _c, lines in parsed[:FIRST_PAGES]])

    def finish(request):
        item = _item(request, uid)
        if first == 0:
            item.metadata_suggestion = PersistentMapping(suggestion)
        state_of(item).update(stage="done", pages=len(pages_of(item)))
        item.modified = now()
        request.registry.notify(ObjectModified(item, request))   # catalogues see the new text
    ctx.change(finish)
    staging.discard(settings, uid, batch)
    warned = len(ctx.warnings)
    ctx.done(f"Xong: {count} trang đã nhận dạng chữ và sẵn sàng để xem"
             + (f"; {warned} cảnh báo." if warned else "."),
             f"Done: {count} pages recognised and ready to view"
             + (f"; {warned} warnings." if warned else "."))
