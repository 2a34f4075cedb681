"""Readers (bạn đọc): the people who hold a library card, their consents and the audit log.

One patron base for the whole province: a card works at both sites; each reader
has a home site. Circulation (``ils.circulation``) refers to readers by id.
"""


def circulation_for(request):
    """The circulation service when it is installed, else None (readers work without it)."""
    from ..circulation.interfaces import ICirculation
    try:
        return request.find_service(ICirculation)
    except (LookupError, ValueError):
        return None


def includeme(config):
    from .services import IReaderService, ReaderService
    settings = config.get_settings()
    config.register_service_factory(
        lambda ctx, req: ReaderService(req.dbsession, settings, circulation_for(req)),
        IReaderService)
