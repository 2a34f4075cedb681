"""Circulation: policies, calendars, loans, renewals, holds and digital loans.

The desk, the reader's account, the API, the kiosk and the SIP2 server all
call the one service behind ``ICirculation`` (``interfaces.py``).
"""


def includeme(config):
    """``request.find_service(ICirculation)``: the service on the request's session."""
    from repository.access import IAccessTokens

    from .interfaces import ICirculation
    from .service import CirculationService
    settings = config.get_settings()

    def factory(context, request):
        return CirculationService(request.dbsession, settings,
                                  request.registry.queryUtility(IAccessTokens))

    config.register_service_factory(factory, ICirculation)
