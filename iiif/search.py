"""IIIF Content Search API 2.0 (and 1.0 for Mirador 4) over the OCR words of an item.

``/iiif/search/{uid}?q=`` answers an ``AnnotationPage`` of ``highlighting``
annotations whose targets are word boxes ``canvas#xywh=x,y,w,h`` in canvas
(= master) pixels.  A query of several words matches them as a phrase, in
order, across adjacent words of a page (also across line ends); a phrase that
runs over two lines gets one box per line, grouped into one hit by a
``contextualizing`` annotation that carries the text before and after.

Matching folds Vietnamese (``dak lak`` finds ``Đắk Lắk``, see
``federation.analysis``); hits whose diacritics equal the query's come first
when the query has diacritics.  ``/iiif/autocomplete/{uid}?q=`` suggests words of
the item that start with the last word typed.

Mirador 4 speaks only Content Search 1.0, so the same search is also offered
as 1.0 (``/iiif/search/1/{uid}``, ``/iiif/autocomplete/1/{uid}``); the manifest
names both services.

Both are rate limited per client address (rules ``iiif_search`` and
``iiif_autocomplete`` of ``portal.ratelimit``, looked up by name).
"""
import collections
import threading

from pyramid.view import view_config

from federation import analysis
from repository.pages import pages_of

from .access import item_access
from .views import error, json_response

SEARCH_CONTEXT = "http://iiif.io/api/search/2/context.json"
SEARCH1_CONTEXT = ["http://iiif.io/api/presentation/2/context.json",
                   "http://iiif.io/api/search/1/context.json"]
PAGE_SIZE = 250            # hits per answer page
CONTEXT_WORDS = 6          # words before and after a hit
MAX_QUERY = 200
MAX_TERMS = 20


class Word:
    __slots__ = ("canvas", "index", "text", "x", "y", "w", "h", "folded", "exact")


class ItemText:
    """The searchable words of one item, tokenized once (one token per word)."""

    def __init__(self, item):
        self.words = []            # Word, in reading order across the whole item
        self.canvases = []         # canvas ids with an image, in order
        for canvas in pages_of(item):
            if canvas.derivative is None:
                continue
            self.canvases.append(canvas.id)
            for i, (text, x, y, w, h) in enumerate(canvas.words):
                folded = analysis.tokens(text, folded=True)
                if not folded:
                    continue       # punctuation only
                word = Word()
                word.canvas, word.index, word.text = canvas.id, i, text
                word.x, word.y, word.w, word.h = int(x), int(y), int(w), int(h)
                word.folded = " ".join(folded)
                word.exact = " ".join(analysis.tokens(text, folded=False))
                self.words.append(word)
        self.by_first = collections.defaultdict(list)
        for position, word in enumerate(self.words):
            self.by_first[word.folded.split(" ")[0]].append(position)

    def find(self, terms):
        """Positions (start, length) of phrases matching the folded ``terms``."""
        found = []
        for start in self.by_first.get(terms[0], ()):
            matched, position = [], start
            remaining = list(terms)
            while remaining and position < len(self.words):
                word_terms = self.words[position].folded.split(" ")
                if remaining[:len(word_terms)] != word_terms:
                    break
                remaining = remaining[len(word_terms):]
                matched.append(position)
                position += 1
            if not remaining and len({self.words[p].canvas for p in matched}) == 1:
                found.append((start, len(matched)))
        return found


_texts = collections.OrderedDict()
_texts_lock = threading.Lock()


def item_text(item):
    """The :class:`ItemText` of ``item``, rebuilt only when a page changed."""
    version = (item.uid, tuple((c.id, getattr(c, "_p_serial", b""), c.derivative is None)
                               for c in pages_of(item)))
    with _texts_lock:
        cached = _texts.get(item.uid)
        if cached is not None and cached[0] == version:
            _texts.move_to_end(item.uid)
            return cached[1]
    text = ItemText(item)
    with _texts_lock:
        _texts[item.uid] = (version, text)
        while len(_texts) > 16:
            _texts.popitem(last=False)
    return text


def boxes(words):
    """One (canvas, x, y, w, h) per line of the matched words."""
    lines = []
    for word in words:
        last = lines[-1] if lines else None
        if last and last[0] == word.canvas and _same_line(last, word):
            x1, y1 = min(last[1], word.x), min(last[2], word.y)
            x2 = max(last[1] + last[3], word.x + word.w)
            y2 = max(last[2] + last[4], word.y + word.h)
            lines[-1] = (word.canvas, x1, y1, x2 - x1, y2 - y1)
        else:
            lines.append((word.canvas, word.x, word.y, word.w, word.h))
    return lines


def _same_line(box, word):
    top, bottom = max(box[2], word.y), min(box[2] + box[4], word.y + word.h)
    return bottom - top > 0.5 * min(box[4], word.h) and word.x >= box[1]


def search_hits(item, q):
    """[(words of the hit, before, after)] for the query ``q``, best first."""
    terms = analysis.tokens(analysis.nfc(q)[:MAX_QUERY], folded=True)[:MAX_TERMS]
    if not terms:
        return []
    exact = analysis.tokens(analysis.nfc(q)[:MAX_QUERY], folded=False)[:MAX_TERMS]
    text = item_text(item)
    hits = []
    for start, length in text.find(terms):
        words = text.words[start:start + length]
        before = " ".join(w.text for w in text.words[max(0, start - CONTEXT_WORDS):start]
                          if w.canvas == words[0].canvas)
        after = " ".join(w.text for w in text.words[start + length:start + length
                                                     + CONTEXT_WORDS]
                         if w.canvas == words[-1].canvas)
        same = " ".join(w.exact for w in words) == " ".join(exact)
        hits.append((not same, start, words, before, after))
    # diacritics as typed first (when they differ at all), then reading order
    hits.sort(key=lambda h: (h[0] if analysis.has_diacritics(q) else False, h[1]))
    return [(words, before, after) for _, _, words, before, after in hits]


def _limited(request, rule):
    """True when this client has searched too often (a 429 is answered)."""
    try:
        limiter = request.find_service(name="ratelimit")
    except (LookupError, ValueError):
        return False           # a deployment without the portal's limiter
    rules = getattr(limiter, "rules", {})
    return rule in rules and not limiter.hit(rule, request.client_addr or "-")


def _query(request):
    q = request.params.get("q", "")
    return q.strip()[:MAX_QUERY]


def _page(request):
    try:
        return max(1, int(request.params.get("page", "1")))
    except ValueError:
        return 1


def search2_document(request, grant, q, page=1):
    item = grant.item
    key = request.matchdict["key"]
    base = request.route_url("iiif.search", key=key, _query={"q": q})
    hits = search_hits(item, q) if q else []
    pages = max(1, -(-len(hits) // PAGE_SIZE))
    chosen = hits[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    page_id = base if page == 1 else f"{base}&page={page}"
    items, context = [], []
    for n, (words, before, after) in enumerate(chosen, (page - 1) * PAGE_SIZE + 1):
        ids = []
        for k, (canvas, x, y, w, h) in enumerate(boxes(words), 1):
            anno_id = request.route_url("iiif.search_annotation", key=item.uid,
                                        hit=f"{n}-{k}", _query={"q": q})
            ids.append(anno_id)
            canvas_id = request.route_url("iiif.canvas", key=item.uid, canvas=canvas)
            items.append({"id": anno_id, "type": "Annotation", "motivation": "highlighting",
                          "body": {"type": "TextualBody", "format": "text/plain",
                                   "value": " ".join(word.text for word in words)},
                          "target": f"{canvas_id}#xywh={x},{y},{w},{h}"})
        context.append({
            "id": request.route_url("iiif.search_annotation", key=item.uid, hit=f"{n}",
                                    _query={"q": q}),
            "type": "Annotation", "motivation": "contextualizing",
            "target": [{"type": "SpecificResource", "source": anno_id,
                        "selector": [{"type": "TextQuoteSelector", "prefix": before,
                                      "exact": " ".join(w.text for w in words),
                                      "suffix": after}]} for anno_id in ids],
        })
    doc = {"@context": SEARCH_CONTEXT, "id": page_id, "type": "AnnotationPage",
           "partOf": {"id": base, "type": "AnnotationCollection", "total": len(hits),
                      "first": {"id": base, "type": "AnnotationPage"},
                      "last": {"id": base if pages == 1 else f"{base}&page={pages}",
                               "type": "AnnotationPage"}},
           "startIndex": (page - 1) * PAGE_SIZE, "items": items}
    if page < pages:
        doc["next"] = {"id": f"{base}&page={page + 1}", "type": "AnnotationPage"}
    if context:
        doc["annotations"] = [{"type": "AnnotationPage", "items": context}]
    return doc


def search1_document(request, grant, q):
    """The same hits as Content Search 1.0 (``sc:AnnotationList``), for Mirador 4."""
    item = grant.item
    key = request.matchdict["key"]
    hits = search_hits(item, q)[:PAGE_SIZE * 4] if q else []
    resources, hit_docs = [], []
    for n, (words, before, after) in enumerate(hits, 1):
        ids = []
        for k, (canvas, x, y, w, h) in enumerate(boxes(words), 1):
            anno_id = request.route_url("iiif.search_annotation", key=item.uid,
                                        hit=f"{n}-{k}", _query={"q": q})
            ids.append(anno_id)
            canvas_id = request.route_url("iiif.canvas", key=item.uid, canvas=canvas)
            resources.append({"@id": anno_id, "@type": "oa:Annotation",
                              "motivation": "sc:painting",
                              "resource": {"@type": "cnt:ContentAsText",
                                           "chars": " ".join(w.text for w in words)},
                              "on": f"{canvas_id}#xywh={x},{y},{w},{h}"})
        hit_docs.append({"@type": "search:Hit", "annotations": ids,
                         "match": " ".join(w.text for w in words),
                         "before": before, "after": after})
    return {"@context": SEARCH1_CONTEXT,
            "@id": request.route_url("iiif.search1", key=key, _query={"q": q}),
            "@type": "sc:AnnotationList",
            "within": {"@type": "sc:Layer", "total": len(hits)},
            "resources": resources, "hits": hit_docs}


def suggestions(item, q, limit=10):
    """(text as written, count) completing ``q``: words starting with its last word,
    and when ``q`` has several words, only those following the others as a phrase."""
    typed = analysis.tokens(analysis.nfc(q)[:MAX_QUERY], folded=True)[:MAX_TERMS]
    if not typed:
        return []
    head, prefix = typed[:-1], typed[-1]
    text = item_text(item)
    if head:
        starts = [(start + length, start) for start, length in text.find(head)]
    else:
        starts = [(position, position) for position in range(len(text.words))]
    counts, spelling = collections.Counter(), {}
    for position, start in starts:
        if position >= len(text.words):
            continue
        word = text.words[position]
        if word.canvas != text.words[start].canvas or not word.folded.startswith(prefix):
            continue
        phrase = text.words[start:position + 1]
        folded = " ".join(w.folded for w in phrase)
        counts[folded] += 1
        spelling.setdefault(folded, collections.Counter())[
            " ".join(w.exact for w in phrase)] += 1
    return [(spelling[folded].most_common(1)[0][0], count)
            for folded, count in counts.most_common(limit)]


def autocomplete2_document(request, grant, q):
    key = request.matchdict["key"]
    items = [{"value": value, "total": total,
              "service": [{"id": request.route_url("iiif.search", key=key,
                                                   _query={"q": value}),
                           "type": "SearchService2"}]}
             for value, total in suggestions(grant.item, q)]
    return {"@context": SEARCH_CONTEXT,
            "id": request.route_url("iiif.autocomplete", key=key, _query={"q": q}),
            "type": "TermPage", "items": items}


def autocomplete1_document(request, grant, q):
    key = request.matchdict["key"]
    return {"@context": "http://iiif.io/api/search/1/context.json",
            "@id": request.route_url("iiif.autocomplete1", key=key, _query={"q": q}),
            "@type": "search:TermList",
            "terms": [{"match": value, "count": total,
                       "url": request.route_url("iiif.search1", key=key, _query={"q": value})}
                      for value, total in suggestions(grant.item, q)]}


def _answer(request, rule, build, context, *extra):
    grant = item_access(request, request.matchdict["key"])
    if _limited(request, rule):
        response = error(429, "Tìm quá nhiều lần, xin thử lại sau một phút. / "
                              "Too many searches; try again in a minute.")
        response.headers["Retry-After"] = "60"
        return response
    return json_response(request, build(request, grant, _query(request), *extra), grant,
                         context)


@view_config(route_name="iiif.search", request_method=("GET", "HEAD"))
def search2_view(request):
    return _answer(request, "iiif_search", search2_document, SEARCH_CONTEXT, _page(request))


@view_config(route_name="iiif.search1", request_method=("GET", "HEAD"))
def search1_view(request):
    return _answer(request, "iiif_search", search1_document, SEARCH1_CONTEXT[1])


@view_config(route_name="iiif.autocomplete", request_method=("GET", "HEAD"))
def autocomplete2_view(request):
    return _answer(request, "iiif_autocomplete", autocomplete2_document, SEARCH_CONTEXT)


@view_config(route_name="iiif.autocomplete1", request_method=("GET", "HEAD"))
def autocomplete1_view(request):
    return _answer(request, "iiif_autocomplete", autocomplete1_document, SEARCH1_CONTEXT[1])


def includeme(config):
    config.add_route("iiif.search1", "/iiif/search/1/{key}")
    config.add_route("iiif.autocomplete1", "/iiif/autocomplete/1/{key}")
    config.add_route("iiif.search", "/iiif/search/{key}")
    config.add_route("iiif.autocomplete", "/iiif/autocomplete/{key}")
    # hit annotations are named but not stored: their ids are stable within a query
    config.add_route("iiif.search_annotation", "/iiif/search/{key}/hit/{hit}")
