"""The library's own catalogue: bibliographic records (MARC kept whole, key
fields extracted) and the items each site or commune library holds, written by
the MARC importer. ``config.include("ils.catalogue")`` registers the service.
"""


def includeme(config):
    from .services import CatalogueService, ICatalogueService
    config.register_service_factory(lambda context, request: CatalogueService(request.dbsession),
                                    ICatalogueService)
