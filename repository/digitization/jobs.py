"""The ``digitize`` job: staged scans → masters → OCR, PDF/A → derivatives → suggestion.

Each stage commits its results before the next starts and records how far it
got on the item (``item.digitization``), so a job queued again after its worker
died resumes instead of starting over, and whatever failed leaves the staged
upload in place for a retry.
"""
import collections
import concurrent.futures
import logging
import os
import shutil
import threading

import pyvips

from persistent.mapping import PersistentMapping

from ..catalog import find_by_uid
from ..interfaces import ObjectModified
from ..pages import add_canvas, pages_of, set_pdf
from ..resources import now
from . import JobFailure, staging
from .derivatives import pyramidal_tiff, resolution, size_of
from .ingest import PDF, TIFF, check_images, check_pdf, image_pages, kind_of, render_pdf_pages
from .metadata import suggest
from .ocr import assemble_pdfa, batches, cores, image_page, parse_hocr, read_hocr, recognise_batch

log = logging.getLogger(__name__)
FIRST_PAGES = 5           # pages read for the metadata suggestion
COMMIT_EVERY = 10         # pages per transaction while storing masters and derivatives


class Pyramids:
    """Pyramidal TIFFs of the masters, kept as files in the job's work directory until
    stored (the OCR workers make each page's pyramid right after its Tesseract run)."""

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


def _pages_of_file(path):
    """The pages of one image file, decoded and checked (a list), or a generator for a
    multi-page TIFF (its pages are not all held in memory at once)."""
    try:
        if kind_of(path) == TIFF and size_of(path)[2] > 1:
            return image_pages(path)
    except pyvips.Error:
        pass                # image_pages says why, in both languages
    return list(image_pages(path))


def _ahead(files, workers):
    """The pages of each file in order, the next ``workers`` files checked meanwhile in
    threads (libvips decodes without the GIL), so the masters are stored on every core."""
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        window = collections.deque()
        for path in files:
            window.append(pool.submit(_pages_of_file, path))
            if len(window) > workers:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()


def find_item(root, uid):
    """The object with ``uid`` through the sites' catalogues, or None."""
    return find_by_uid(root, uid)


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
        pages = ((data, kind, w, h) for file_pages in _ahead(files, cores(settings))
                 for data, kind, w, h, _dpi in file_pages)
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
        ocr_dir, tiles = os.path.join(work, "ocr"), os.path.join(work, "tiles")
        os.makedirs(ocr_dir, exist_ok=True)
        dpis = [resolution(m[0]) for m in masters]
        languages = settings.get("digitization.ocr_languages", "vie+eng")
        timeout = int(settings.get("digitization.tesseract_timeout", 180))
        ctx.progress(10, f"Đang nhận dạng chữ (OCR) {count} trang…",
                     f"Recognising text (OCR) on {count} pages…")

        def one(batch):
            """Tesseract on a few masters, then their pyramids while the other cores still
            OCR (a worker never waits on the others: the cores stay busy to the end)."""
            unread = recognise_batch(batch, ocr_dir, languages, timeout)
            for index, path, dpi in batch:
                if not is_pdf:      # the page image of the PDF/A (a PDF upload gives its own)
                    image_page(path, dpi, ocr_dir, index)
                try:
                    Pyramids.make(tiles, index, path)
                except Exception:   # made again (and reported) when the pages are stored
                    log.warning("derivative of %s not made ahead", path, exc_info=True)
            return unread

        unreadable, n = {}, 0
        work_list = batches([(i, m[0], dpis[i]) for i, m in enumerate(masters)], cores(settings))
        with concurrent.futures.ThreadPoolExecutor(cores(settings)) as pool:
            futures = {pool.submit(one, batch): batch for batch in work_list}
            try:
                for future in concurrent.futures.as_completed(futures):
                    unreadable.update(future.result())
                    n += len(futures[future])
                    ctx.progress(10 + 70 * n / count, f"Đã nhận dạng {n}/{count} trang…",
                                 f"{n}/{count} pages recognised…")
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
        out_pdf = os.path.join(work, "ocr.pdf")
        assemble_pdfa(list(zip((m[0] for m in masters), dpis)), ocr_dir, out_pdf,
                      source_pdf=files[0] if is_pdf else None)
        parsed = []
        for index, (_path, width, height) in enumerate(masters):
            number = first + index + 1
            data = read_hocr(ocr_dir, index)
            text, words, confidence, lines = parse_hocr(data, width, height) if data else ("", [], None, [])
            parsed.append((data or b"", text, words, confidence, lines))
            if index in unreadable:
                vi, en = unreadable[index]
                ctx.warn(f"Trang {number}: không nhận dạng được ({vi}). Trang vẫn được lưu.",
                         f"Page {number}: could not be recognised ({en}). The page is kept.")
            elif not text.strip():
                ctx.warn(f"Trang {number}: không nhận dạng được chữ nào (trang trắng, ảnh "
                         "hoặc bản quét mờ?). Trang vẫn được lưu.",
                         f"Page {number}: no text could be recognised (blank page, picture "
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
        shutil.rmtree(ocr_dir, ignore_errors=True)

    else:     # resumed after the OCR was stored: read it back
        parsed = ctx.change(lambda r: [
            (c.hocr, c.text, c.words, c.ocr_confidence,
             parse_hocr(c.hocr, c.width, c.height)[3] if c.hocr else [])
            for c in pages_of(_item(r, uid))[first:]])

    # 3. pyramidal TIFFs for the IIIF image server (libvips releases the GIL: one per core)
    done = ctx.change(lambda r: state_of(_item(r, uid)).get("derived", 0))
    tiles = os.path.join(work, "tiles")
    with concurrent.futures.ThreadPoolExecutor(cores(settings)) as pool:
        list(pool.map(lambda i: Pyramids.make(tiles, i, masters[i][0]),
                      range(done, count)))
    for start in range(done, count, COMMIT_EVERY):
        chunk = [Pyramids.take(os.path.join(work, "tiles"), start + i, path)
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
