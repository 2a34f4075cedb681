"""When the search engine cannot answer: one exception, one 503 page.

A backend that talks to a server (Solr) raises ``SearchUnavailable`` when the
server is unreachable or answers with an error. ``includeme`` registers
exception views so that the pages that search (``/search``, a record page,
``/api/v1/search``…) answer 503 "search is temporarily unavailable", in
Vietnamese and English, while every other page keeps working. Writes are not
lost meanwhile: the union catalogue's queue keeps them (``federation.subscribers``).
"""
import logging

from pyramid.i18n import TranslationStringFactory

_ = TranslationStringFactory("serepok")
log = logging.getLogger(__name__)

__all__ = ["SearchUnavailable", "includeme"]

RETRY_AFTER = 30   # seconds, in the Retry-After header of the 503


class SearchUnavailable(RuntimeError):
    """The search engine did not answer; ``str()`` is Vietnamese then English."""

    vietnamese = "Tìm kiếm tạm thời không dùng được."
    english = "Search is temporarily unavailable."

    def __init__(self, detail=""):
        self.detail = str(detail)[:500]
        super().__init__(f"{self.vietnamese} / {self.english}"
                         + (f" ({self.detail})" if self.detail else ""))


def unavailable_view(exc, request):
    from portal.views.errors import api_response, render_error, wants_json
    log.warning("search unavailable on %s: %s", request.path, exc.detail)
    if wants_json(request):
        response = api_response(request, 503, "SearchUnavailable",
                                _("Search is temporarily unavailable. Please try again in a "
                                  "few minutes."))
    elif request.matched_route is not None and request.matched_route.name == "catalogue_suggest":
        from pyramid.renderers import render_to_response
        response = render_to_response("json", [request.GET.get("q", "")[:100], []],
                                      request=request)
        response.status = 503
    else:
        response = render_error(request, 503, _("Search is temporarily unavailable"),
                                _("Search is temporarily unavailable. Please try again in a "
                                  "few minutes. The rest of the site works as usual."))
    response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


def includeme(config):
    config.add_exception_view(unavailable_view, context=SearchUnavailable)
