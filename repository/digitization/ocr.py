"""OCR with Tesseract (``vie+eng``), page by page, and the searchable PDF/A.

One single-threaded Tesseract per core (``OMP_THREAD_LIMIT=1``: more threads per
process only make batches slower) reads each master once, as it is stored, and
writes in the same run the page's hOCR (text and word boxes, in the master's
pixels) and a text-only PDF page (``textonly_pdf``: the invisible text layer).
Each page's results are kept on disk under the job's work directory, so a job
resumed after its worker died recognises only the pages still missing.

The PDF/A is then assembled without rasterising anything again: the page images
(the masters themselves, embedded unchanged by img2pdf, or the pages of the
uploaded PDF) with the text layers laid over them (pikepdf), declared and
checked as PDF/A-2b by ``pikepdf.pdfa.save``, which validates the bytes it wrote.
"""
import ctypes
import os
import re
import signal
import subprocess
import threading

from lxml import etree

from . import JobFailure

LANGUAGES = "vie+eng"
BBOX = re.compile(r"bbox (\d+) (\d+) (\d+) (\d+)")
CONF = re.compile(r"x_wconf (\d+)")
BLOCKS = ("ocr_par",)
LINES = ("ocr_line", "ocr_caption", "ocr_textfloat", "ocr_header")
FLAVOUR = "2b"


def cores(settings=None):
    configured = int((settings or {}).get("digitization.ocr_jobs", 0) or 0)
    return configured or len(os.sched_getaffinity(0)) or 1


def _die_with_parent():
    """OCR children die with the worker thread that started them (a killed worker
    leaves no Tesseract burning the cores)."""
    try:
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)     # PR_SET_PDEATHSIG
    except OSError:
        pass


def page_files(directory, index):
    """``(hOCR path, text-layer PDF path)`` of page ``index`` (0-based) in ``directory``."""
    base = os.path.join(directory, f"{index:06d}")
    return base + ".hocr", base + ".pdf"


def recognise_page(image, directory, index, dpi, languages=LANGUAGES, timeout=180):
    """Run Tesseract once on ``image``: its hOCR and text-only PDF page land in
    ``directory`` (see :func:`page_files`). Returns None, or the reason (vi, en)
    the page could not be read. Skips a page done already."""
    hocr, pdf = page_files(directory, index)
    if os.path.exists(hocr) and os.path.exists(pdf):
        return None
    part = os.path.join(directory, f"{index:06d}.part")
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    command = ["tesseract", image, part, "-l", languages, "--dpi", str(round(dpi)),
               "-c", "textonly_pdf=1", "hocr", "pdf"]
    try:
        result = subprocess.run(command, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, timeout=timeout,
                                preexec_fn=_die_with_parent)
    except subprocess.TimeoutExpired:
        return (f"Tesseract không đọc xong trang trong {timeout} giây",
                f"Tesseract did not finish the page within {timeout} seconds")
    except FileNotFoundError:
        raise JobFailure("Chưa cài Tesseract trên máy chủ (gói tesseract-ocr).",
                         "Tesseract is not installed on the server (package tesseract-ocr).")
    if result.returncode != 0 or not (os.path.exists(part + ".hocr")
                                      and os.path.exists(part + ".pdf")):
        reason = result.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = reason[-1] if reason else f"exit {result.returncode}"
        if "Failed loading language" in result.stderr.decode("utf-8", "replace"):
            raise JobFailure(f"Thiếu dữ liệu ngôn ngữ Tesseract ({languages}): {reason}",
                             f"Tesseract language data missing ({languages}): {reason}")
        return (f"Tesseract báo lỗi: {reason}", f"Tesseract failed: {reason}")
    os.replace(part + ".pdf", pdf)           # the hOCR last: both there means done
    os.replace(part + ".hocr", hocr)
    return None


def read_hocr(directory, index):
    """The hOCR bytes of page ``index`` (0-based), or None when it was not recognised."""
    path = page_files(directory, index)[0]
    if not os.path.exists(path):
        return None
    with open(path, "rb") as f:
        return f.read()


def _has_text(page):
    resources = page.obj.get("/Resources")
    return resources is not None and "/Font" in resources


def image_page(path, dpi, directory, index):
    """The one-page PDF of master ``index`` (embedded unchanged by img2pdf, at ``dpi``),
    written once into ``directory``; its path."""
    import img2pdf
    target = os.path.join(directory, f"{index:06d}.image.pdf")
    if not os.path.exists(target):
        part = f"{target}.{os.getpid()}.{threading.get_ident()}.part"
        with open(part, "wb") as f:
            img2pdf.convert(path, layout_fun=img2pdf.get_fixed_dpi_layout_fun((dpi, dpi)),
                            outputstream=f, rotation=img2pdf.Rotation.ifvalid)
        os.replace(part, target)
    return target


def _image_pages(pdf, masters, directory):
    """Append one page per master to ``pdf`` (made ahead by the OCR workers, or now)."""
    import pikepdf
    opened = []
    for i, (path, dpi) in enumerate(masters):
        source = pikepdf.open(image_page(path, dpi, directory, i))
        opened.append(source)
        pdf.pages.extend(source.pages)
    return opened


def assemble_pdfa(masters, text_dir, out_pdf, source_pdf=None):
    """The searchable PDF/A-2b of the pages: images + the text layers Tesseract wrote.

    ``masters`` is ``[(path, dpi)]``, the text layers (and any page images made ahead,
    :func:`image_page`) are in ``text_dir``; ``source_pdf`` (an uploaded PDF of scans) gives the
    page images instead, unless it carries text of its own or cannot be made PDF/A as it
    is: then the masters (rendered from it) do. The file is validated once written.
    """
    import pikepdf
    from pikepdf.pdfa import PdfaError, save
    attempts = ([source_pdf] if source_pdf else []) + [None]
    try:
        for source in attempts:
            opened = []
            try:
                pdf = pikepdf.new()
                if source:
                    original = pikepdf.open(source)
                    opened.append(original)
                    if any(_has_text(p) for p in original.pages):
                        continue          # its own text layer would sit under ours
                    pdf.pages.extend(original.pages)
                else:
                    opened += _image_pages(pdf, masters, text_dir)
                for index, page in enumerate(pdf.pages):
                    text_pdf = page_files(text_dir, index)[1]
                    if not os.path.exists(text_pdf):
                        continue          # a page Tesseract could not read: image only
                    layer = pikepdf.open(text_pdf)
                    opened.append(layer)
                    page.add_overlay(pdf.copy_foreign(layer.pages[0].as_form_xobject()))
                save(pdf, out_pdf, FLAVOUR, output_intent="sRGB")
                return
            except PdfaError:
                if source is None:
                    raise
            finally:
                for each in opened:
                    each.close()
    except (PdfaError, pikepdf.PdfError) as exc:
        raise JobFailure(f"Không tạo được tệp PDF/A: {exc}",
                         f"The PDF/A could not be made: {exc}") from exc


def _classes(element):
    return (element.get("class") or "").split()


def parse_hocr(data, width, height):
    """``(text, words, confidence, lines)`` of one page's hOCR.

    ``words`` are ``(text, x, y, w, h)`` in the master's pixels (the hOCR page
    may have been rasterised at another resolution); ``lines`` are
    ``(text, height)`` in reading order, for the metadata suggestion.
    """
    root = etree.fromstring(data, parser=etree.XMLParser(recover=True, resolve_entities=False,
                                                         no_network=True))
    if root is None:
        return "", [], None, []
    page = next((e for e in root.iter() if "ocr_page" in _classes(e)), None)
    sx = sy = 1.0
    if page is not None:
        match = BBOX.search(page.get("title") or "")
        if match and int(match[3]) and int(match[4]):
            sx, sy = width / int(match[3]), height / int(match[4])
    words, lines, confidences, paragraphs = [], [], [], []
    for block in root.iter():
        if not set(_classes(block)) & set(BLOCKS) or any(
                set(_classes(a)) & set(BLOCKS) for a in block.iterancestors()):
            continue
        paragraph = []
        line_elements = [e for e in block.iter() if set(_classes(e)) & set(LINES)] or [block]
        for line in line_elements:
            line_words = []
            for w in line.iter():
                if "ocrx_word" not in _classes(w):
                    continue
                text = "".join(w.itertext()).strip()
                match = BBOX.search(w.get("title") or "")
                if not text or not match:
                    continue
                x0, y0, x1, y1 = (int(v) for v in match.groups())
                words.append((text, round(x0 * sx), round(y0 * sy), round((x1 - x0) * sx),
                              round((y1 - y0) * sy)))
                conf = CONF.search(w.get("title") or "")
                if conf:
                    confidences.append(int(conf[1]))
                line_words.append((text, (y1 - y0) * sy))
            if line_words:
                text = " ".join(t for t, _h in line_words)
                heights = sorted(h for _t, h in line_words)
                lines.append((text, heights[len(heights) // 2]))
                paragraph.append(text)
        if paragraph:
            paragraphs.append("\n".join(paragraph))
    confidence = round(sum(confidences) / len(confidences), 1) if confidences else None
    return "\n\n".join(paragraphs), words, confidence, lines
