"""Contracts of the IIIF package."""
from zope.interface import Attribute, Interface


class IImageServer(Interface):
    """Answers IIIF Image API requests for one pyramidal image file.

    The default implementation (:class:`iiif.services.ImageServer`) renders in
    process with pyvips and keeps answers in a bounded disk cache.
    """

    limits = Attribute("iiif.imageapi.Limits: the largest output served")

    def info(service_id, path):
        """The info.json document (dict) of the image at ``path``."""

    def image(path, region, size, rotation, quality_format):
        """(plan, etag, data-or-None): the plan and ETag of a request, and a callable
        returning the encoded bytes; raises ``iiif.imageapi.ImageRequestError``."""
