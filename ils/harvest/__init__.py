"""OAI-PMH harvesting into the union catalogue.

Staff register partner sources (``models.OaiSource``); ``harvester`` fetches
their records incrementally through resumption tokens, converting Dublin Core
to MARC (``dublincore``) and storing them as BibRecords (``store``); ``jobs``
runs a harvest outside a request (``serepok harvest``, the "harvest now"
button); ``client`` is the OAI-PMH client that retries.
"""


def includeme(config):
    from .services import IOaiSources, OaiSources
    config.register_service_factory(lambda context, request: OaiSources(request.dbsession),
                                    IOaiSources)
