"""IIIF services of Serepok: Image API 3.0, Presentation API 3.0, Content Search API 2.0.

Addresses (``{uid}`` is the DigitalItem's ``uid``, ``{canvas}`` a canvas ``id``
from ``repository.pages``; every JSON answer carries CORS ``*``):

- Image API 3.0 (level 2), one image service per canvas, identifier ``{uid}~{canvas}``:
  ``/iiif/3/{uid}~{canvas}`` → 303 to ``/iiif/3/{uid}~{canvas}/info.json``;
  ``/iiif/3/{uid}~{canvas}/{region}/{size}/{rotation}/{quality}.{format}``
- Presentation API 3.0: manifest of an item ``/iiif/manifest/{uid}``
  (canvas ids ``/iiif/manifest/{uid}/canvas/{canvas}``); collections
  ``/iiif/collection/{collection_uid}`` (a Collection) and ``/iiif/collection/site/{site_name}``
  (a Site, e.g. ``bmt``)
- Content Search API 2.0: ``/iiif/search/{uid}?q=...`` (an AnnotationPage whose
  annotations target ``/iiif/manifest/{uid}/canvas/{canvas}#xywh=x,y,w,h``);
  autocomplete ``/iiif/autocomplete/{uid}?q=...``; the same in Content Search 1.0 (what
  Mirador 4 speaks): ``/iiif/search/1/{uid}?q=`` and ``/iiif/autocomplete/1/{uid}?q=``
  (the manifest's ``service`` lists both, the 1.0 one with its ``profile``)
- The item's PDF: ``/iiif/pdf/{uid}`` (Range requests; only when the item allows download
  or the request carries a valid access token)

Restricted items (``item.access == "restricted"``) answer to staff who may view
the item and to requests carrying an access token (``?access=<token>`` or the
``X-Serepok-Access`` header, see ``repository.access``) or inside the address:
``/iiif/manifest/{uid}~{token}``, ``/iiif/3/{uid}~{canvas}~{token}/...``,
``/iiif/search/{uid}~{token}``, ``/iiif/pdf/{uid}~{token}``; a manifest fetched
with a token carries it on into those addresses (viewers cannot add headers).
Restricted items without a grant answer 403; items the request may not view, 404.
Restricted items are listed in collections only for staff.
"""


def includeme(config):
    """Routes, views and the image server (settings in ``iiif.services``)."""
    from .interfaces import IImageServer
    from .services import image_server_from_settings
    config.registry.registerUtility(image_server_from_settings(config.get_settings()),
                                    IImageServer)
    config.include(".views")
    config.include(".presentation")
    config.include(".search")
    config.scan(".views")
    config.scan(".presentation")
    config.scan(".search")
