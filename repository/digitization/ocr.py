"""OCR with Tesseract (``vie+eng``), page by page, and the searchable PDF/A.

One single-threaded Tesseract per core (``OMP_THREAD_LIMIT=1``: more threads per
process only make batches slower) reads each master once and writes in the same
run the page's hOCR (text and word boxes, in the master's pixels) and a text-only
PDF page (``textonly_pdf``: the invisible text layer). A run takes a few pages at
a time (:func:`batches`): loading the ``vie+eng`` models costs about a tenth of a
page, paid once per run.
Each page's results are kept on disk under the job's work directory, so a job
resumed after its worker died recognises only the pages still missing.

The PDF/A is then assembled without rasterising anything again: the page images
(the masters themselves, embedded unchanged by img2pdf, or the pages of the
uploaded PDF) with the text layers laid over them (pikepdf), declared and
checked as PDF/A-2b by ``pikepdf.pdfa.save``, which validates the bytes it wrote.
"""
import copy as copy_module
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


def batches(pages, workers, largest=6):
    """``pages`` (``[(index, path, dpi)]``) cut into runs of one Tesseract each: up to
    ``largest`` pages of one resolution, fewer towards the end so that every core
    finishes at about the same time."""
    out, i = [], 0
    while i < len(pages):
        size = max(1, min(largest, (len(pages) - i) // (2 * workers)))
        j = i + 1
        while j < len(pages) and j - i < size and pages[j][2] == pages[i][2]:
            j += 1
        out.append(pages[i:j])
        i = j
    return out


def split_hocr(data):
    """One hOCR document per ``ocr_page`` of a multi-page one."""
    root = etree.fromstring(data, parser=etree.XMLParser(recover=True, resolve_entities=False,
                                                         no_network=True))
    count = sum(1 for e in root.iter() if "ocr_page" in _classes(e))
    out = []
    for k in range(count):
        copy = copy_module.deepcopy(root)
        for j, e in enumerate([e for e in copy.iter() if "ocr_page" in _classes(e)]):
            if j != k:
                e.getparent().remove(e)
        out.append(etree.tostring(copy, xml_declaration=True, encoding="UTF-8"))
    return out


def recognise_batch(pages, directory, languages=LANGUAGES, timeout=180):
    """Tesseract once over ``pages`` (``[(index, path, dpi)]``, one resolution), the
    language models loaded once for all of them; each page's hOCR and text layer are
    then written as :func:`recognise_page` writes them. Returns ``{index: (vi, en)}``
    for the pages that could not be read (a failed run is redone page by page, so one
    bad page costs only itself)."""
    import pikepdf
    todo = [p for p in pages if not all(os.path.exists(f) for f in page_files(directory, p[0]))]
    if len(todo) <= 1:
        return {i: r for i, path, dpi in todo
                if (r := recognise_page(path, directory, i, dpi, languages, timeout))}
    base = os.path.join(directory, f"batch-{todo[0][0]:06d}")
    with open(base + ".list", "w", encoding="utf-8") as f:
        f.write("".join(path + "\n" for _i, path, _d in todo))
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    command = ["tesseract", base + ".list", base, "-l", languages, "--dpi",
               str(round(todo[0][2])), "-c", "textonly_pdf=1", "hocr", "pdf"]
    try:
        result = subprocess.run(command, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, timeout=timeout * len(todo),
                                preexec_fn=_die_with_parent)
        hocrs, layers = None, None
        if result.returncode == 0:
            with open(base + ".hocr", "rb") as f:
                hocrs = split_hocr(f.read())
            layers = pikepdf.open(base + ".pdf")
    except (subprocess.TimeoutExpired, OSError, pikepdf.PdfError, etree.LxmlError):
        hocrs = layers = None
    try:
        if hocrs is None or layers is None or len(hocrs) != len(todo) \
                or len(layers.pages) != len(todo):
            return {i: r for i, path, dpi in todo
                    if (r := recognise_page(path, directory, i, dpi, languages, timeout))}
        for (index, _path, _dpi), hocr, page in zip(todo, hocrs, layers.pages):
            hocr_path, pdf_path = page_files(directory, index)
            one = pikepdf.new()
            one.pages.append(page)
            one.save(pdf_path + ".part")
            os.replace(pdf_path + ".part", pdf_path)
            with open(hocr_path + ".part", "wb") as f:
                f.write(hocr)
            os.replace(hocr_path + ".part", hocr_path)
        return {}
    finally:
        if layers is not None:
            layers.close()
        for suffix in (".list", ".hocr", ".pdf"):
            if os.path.exists(base + suffix):
                os.remove(base + suffix)


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
