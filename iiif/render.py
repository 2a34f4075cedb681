"""Cut IIIF Image API answers out of a pyramidal TIFF with pyvips.

The derivative holds the page at full size plus halvings (one TIFF page per
level, tiled, JPEG-compressed).  A request is served from the smallest level
that still has at least as many pixels as the output needs, so a 512 px tile
of a zoomed-out view reads a few tiles of a small level, never the 600 dpi
master.  pyvips evaluates lazily and streams: only the tiles under the crop
are decoded.

Opened images are kept in a small per-process LRU (pyvips images are
immutable and safe to share between threads); the key is the file path,
which changes whenever the derivative blob does.
"""
import collections
import threading

import pyvips

__all__ = ["Pyramid", "open_pyramid", "render", "pyramid_sizes"]

_SAVE = {
    "jpg": (".jpg", {"Q": 85, "strip": True}),
    "png": (".png", {"compression": 6, "strip": True}),
    "webp": (".webp", {"Q": 80, "strip": True}),
}


class Pyramid:
    """The levels of one pyramidal TIFF: ``levels[k]`` is (image, width, height)."""

    def __init__(self, path):
        self.path = path
        first = pyvips.Image.new_from_file(path, access="random", page=0)
        pages = first.get("n-pages") if "n-pages" in first.get_fields() else 1
        self.levels = [(first, first.width, first.height)]
        for page in range(1, pages):
            level = pyvips.Image.new_from_file(path, access="random", page=page)
            if level.width >= self.levels[-1][1]:
                break             # not a reduced level: a multi-page TIFF, not a pyramid
            self.levels.append((level, level.width, level.height))

    @property
    def width(self):
        return self.levels[0][1]

    @property
    def height(self):
        return self.levels[0][2]

    def level_for(self, region_w, region_h, out_w, out_h):
        """The smallest level that keeps at least the output's resolution."""
        chosen = self.levels[0]
        for level in self.levels[1:]:
            _, lw, lh = level
            if region_w * lw / self.width >= out_w and region_h * lh / self.height >= out_h:
                chosen = level
            else:
                break
        return chosen


_cache = collections.OrderedDict()
_cache_lock = threading.Lock()
_CACHE_SIZE = 64


def open_pyramid(path):
    """The :class:`Pyramid` of ``path``, opened once per process (LRU of 64)."""
    with _cache_lock:
        pyramid = _cache.get(path)
        if pyramid is not None:
            _cache.move_to_end(path)
            return pyramid
    pyramid = Pyramid(path)
    with _cache_lock:
        _cache[path] = pyramid
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return pyramid


def pyramid_sizes(pyramid, limits):
    """Whole-image sizes that are cheap to serve (info.json ``sizes``), smallest first."""
    return sorted((w, h) for _, w, h in pyramid.levels if limits.allows(w, h))


def render(pyramid, plan):
    """The encoded bytes of ``plan`` (an :class:`iiif.imageapi.Plan`)."""
    image, lw, lh = pyramid.level_for(plan.w, plan.h, plan.width, plan.height)
    fx, fy = lw / pyramid.width, lh / pyramid.height
    left, top = int(plan.x * fx), int(plan.y * fy)
    right = min(lw, max(left + 1, int(round((plan.x + plan.w) * fx))))
    bottom = min(lh, max(top + 1, int(round((plan.y + plan.h) * fy))))
    out = image.crop(left, top, right - left, bottom - top)
    if (out.width, out.height) != (plan.width, plan.height):
        out = out.resize(plan.width / out.width, vscale=plan.height / out.height,
                         kernel="lanczos3" if plan.width < out.width else "linear")
        if (out.width, out.height) != (plan.width, plan.height):
            # resize rounds; pad or trim the last pixel so the size is exactly what was asked
            out = out.gravity("north-west", plan.width, plan.height, extend="copy")
    if out.hasalpha():
        out = out.flatten(background=[255] * (out.bands - 1))
    if plan.mirror:
        out = out.fliphor()
    if plan.rotation:
        out = out.rot(f"d{plan.rotation}")
    if plan.quality in ("gray", "bitonal"):
        out = out.colourspace("b-w")
        if plan.quality == "bitonal":
            out = (out > 127).ifthenelse(255, 0).cast("uchar")
    suffix, options = _SAVE[plan.format]
    return out.write_to_buffer(suffix, **options)
