"""The in-process image server: pyvips renders, a disk cache remembers.

Settings (``.ini``): ``iiif.max_width``, ``iiif.max_height``, ``iiif.max_area``
(the largest output, written into info.json and enforced),
``iiif.tile_cache_dir`` (default ``<serepok.var>/iiif-tiles``),
``iiif.tile_cache_size`` (bytes, default 1 GiB; 0 turns the cache off),
``iiif.vips_concurrency`` (threads per pyvips operation; default 1, because the
web server already runs one request per thread), ``iiif.passthrough`` (default
true: a request for exactly one stored tile gets the JPEG the TIFF holds, see
``iiif.render``; false renders every tile).
"""
import os

import pyvips
from pyramid.settings import asbool
from zope.interface import implementer

from . import imageapi, render
from .interfaces import IImageServer
from .tilecache import TileCache

__all__ = ["ImageServer", "image_server_from_settings"]


@implementer(IImageServer)
class ImageServer:
    def __init__(self, limits, cache, passthrough=True):
        self.limits = limits
        self.cache = cache
        self.passthrough = passthrough

    def info(self, service_id, path):
        pyramid = render.open_pyramid(path)
        return imageapi.info(service_id, pyramid.width, pyramid.height, self.limits,
                             sizes=render.pyramid_sizes(pyramid, self.limits))

    def image(self, path, region, size, rotation, quality_format):
        pyramid = render.open_pyramid(path)
        plan = imageapi.plan(region, size, rotation, quality_format,
                             pyramid.width, pyramid.height, self.limits)
        stored = render.stored_tile(pyramid, plan) if self.passthrough else None
        # the stored JPEG and a rendered one show the same pixels, not the same bytes
        etag = TileCache.key(path, plan.key + ("/stored" if stored is not None else ""))

        def data():
            if stored is not None:
                body = stored.read()
                if body is not None:
                    return body            # read from the TIFF: nothing to remember
            cached = self.cache.get(etag)
            if cached is not None:
                return cached
            rendered = render.render(pyramid, plan)
            self.cache.put(etag, rendered)
            return rendered
        return plan, etag, data


def image_server_from_settings(settings):
    limits = imageapi.Limits(
        max_width=int(settings.get("iiif.max_width", imageapi.Limits.max_width)),
        max_height=int(settings.get("iiif.max_height", imageapi.Limits.max_height)),
        max_area=int(settings.get("iiif.max_area", imageapi.Limits.max_area)))
    directory = settings.get("iiif.tile_cache_dir") or os.path.join(
        settings.get("serepok.var", "var"), "iiif-tiles")
    cache = TileCache(directory, max_bytes=int(settings.get("iiif.tile_cache_size", 1 << 30)))
    pyvips.concurrency_set(int(settings.get("iiif.vips_concurrency", 1)))
    return ImageServer(limits, cache,
                       passthrough=asbool(settings.get("iiif.passthrough", True)))
