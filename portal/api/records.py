"""The union catalogue over JSON, for the apps: search with facets, and one record.

``GET /api/v1/records`` takes the parameters of the reader's search page
(``q``, one parameter per facet field, repeatable, ``year_from``, ``year_to``,
``sort``) with ``b_start``/``b_size`` batching. ``GET /api/v1/records/{id}``
gives one union record with its holdings and the addresses of its page, QR code
and citations.
"""
from pyramid.i18n import TranslationStringFactory
from pyramid.view import view_config

from federation.interfaces import ISearchIndex
from federation.records import SORTS, QueryError

from ..views.catalogue import Labels, ReaderSearch, error_text, find_record, safe_link
from ..views.citations import apa
from .http import ApiError, batch_params, batching, invalid, limit, query_url

_ = TranslationStringFactory("serepok")


def holding(h, labels):
    return {"library": h.library, "library_name": labels.library(h.library), "site": h.site,
            "call_number": h.call_number, "location": h.location, "items": h.items,
            "available": h.available}


def record_json(request, record, labels):
    page = request.route_url("catalogue_record", id=record.id)
    return {
        "@id": request.route_url("api_record", id=record.id),
        "@type": "Record",
        "id": record.id,
        "title": record.title,
        "subtitle": record.subtitle,
        "authors": list(record.authors),
        "subjects": list(record.subjects),
        "publisher": record.publisher,
        "year": record.year,
        "language": record.language,
        "isbns": list(record.isbns),
        "format": record.format,
        "format_title": labels.format(record.format),
        "description": record.description,
        "collections": list(record.collections),
        "url": safe_link(record.url) or None,
        "holdings": [holding(h, labels) for h in record.holdings],
        "available_at": record.available_at,
        "html_url": page,
        "qr_url": request.route_url("catalogue_qr", id=record.id),
        "citations": {
            "apa": str(apa(record, page).striptags()),
            "ris": request.route_url("catalogue_cite", id=record.id, fmt="ris"),
            "bibtex": request.route_url("catalogue_cite", id=record.id, fmt="bib"),
        },
    }


@view_config(route_name="api_records", request_method="GET", renderer="json")
def search_records(request):
    """``?q=dak lak&library=bmt&format=book&sort=title&b_start=0&b_size=25``."""
    limit(request, "search", key=f"ip:{request.client_addr or 'unknown'}")
    return union_search(request, request.GET)


def union_search(request, params, errors=None):
    """The union catalogue searched with the reader's page's parameters
    (``params``, a MultiDict); ``errors`` found by the caller are reported
    with the others. The caller applies the rate limit."""
    errors = dict(errors or {})
    search = ReaderSearch(params)
    if search.sort not in SORTS:
        errors["sort"] = _("Sort by one of: ${names}.", mapping={"names": ", ".join(SORTS)})
    for name in ("year_from", "year_to"):
        try:
            search.year(getattr(search, name))
        except QueryError as exc:
            errors[name] = error_text(request, exc)
    try:
        b_start, b_size = batch_params(request)
    except ApiError as exc:
        errors.update(exc.fields)
    if errors:
        raise invalid(errors)
    query = search.query(start=b_start, rows=b_size)
    try:
        result = request.find_service(ISearchIndex).search(query)
    except QueryError as exc:
        raise ApiError(400, "BadRequest", error_text(request, exc)) from None
    labels = Labels(request, [hit.record for hit in result.hits])
    items = []
    for hit in result.hits:
        item = record_json(request, hit.record, labels)
        item["highlights"] = dict(hit.highlights)
        items.append(item)
    return {
        "@id": query_url(request),
        "@type": "RecordSearchResults",
        "q": search.text,
        "filters": search.filters,
        "year_from": query.year_from,
        "year_to": query.year_to,
        "sort": search.sort,
        "items_total": result.total,
        "items": items,
        "facets": {name: [{"value": fv.value, "label": labels.value(name, fv.value),
                           "count": fv.count} for fv in values]
                   for name, values in result.facets.items()},
        "approximate_facets": list(result.approximate_facets),
        "html_url": request.route_url("catalogue_search", _query=search.params()),
        "batching": batching(request, result.total, b_start, b_size),
    }


@view_config(route_name="api_record", request_method="GET", renderer="json")
def read_record(request):
    from pyramid.httpexceptions import HTTPNotFound
    try:
        record = find_record(request)
    except HTTPNotFound:
        raise ApiError(404, "NotFound", _("Nothing exists at this address.")) from None
    return record_json(request, record, Labels(request, [record]))
