"""IIIF Image API 3.0 requests: parse the four path parameters, plan the output.

Pure arithmetic, no image library: :func:`plan` turns ``region/size/rotation/
quality.format`` and the image's dimensions into a :class:`Plan` (a crop
rectangle in full-resolution pixels, an output size, a rotation, a mirror
flag, a quality and a format) or raises :class:`ImageRequestError` with the
status the specification names: 400 for a malformed or impossible request,
501 for a valid request this server does not implement.

What this server implements is declared once, here, and info.json is built
from the same constants (:func:`info`), so the claims cannot drift from the
code.
"""
import math
import re
from dataclasses import dataclass

__all__ = ["ImageRequestError", "Plan", "plan", "info", "Limits", "FORMATS", "QUALITIES",
           "CONTEXT", "PROFILE", "TILE", "MEDIA_TYPES"]

CONTEXT = "http://iiif.io/api/image/3/context.json"
PROFILE = "level2"
TILE = 512

#: Output formats we write, with their media types (level 2 needs jpg and png).
MEDIA_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
FORMATS = tuple(MEDIA_TYPES)
#: Formats the specification names that we do not write: 501, not 400.
KNOWN_FORMATS = FORMATS + ("tif", "gif", "jp2", "pdf")
QUALITIES = ("default", "color", "gray", "bitonal")
#: Beyond level 2 (which already names regions, sizes, 90° rotations, CORS, the JSON-LD
#: media type and the base URI redirect): each implemented in ``plan``/``render``/views.
EXTRA_FEATURES = ("mirroring", "sizeUpscaling", "canonicalLinkHeader", "profileLinkHeader")

_INT = r"(\d+)"
_NUM = r"(\d+(?:\.\d+)?|\.\d+)"
_REGION_PX = re.compile(r"^%s,%s,%s,%s$" % (_INT, _INT, _INT, _INT))
_REGION_PCT = re.compile(r"^pct:%s,%s,%s,%s$" % (_NUM, _NUM, _NUM, _NUM))
_SIZE_WH = re.compile(r"^(!)?(\d+)?,(\d+)?$")
_SIZE_PCT = re.compile(r"^pct:%s$" % _NUM)
_ROTATION = re.compile(r"^(!)?%s$" % _NUM)


class ImageRequestError(ValueError):
    """A request we refuse; ``status`` is what the Image API says to answer."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def _bad(message):
    return ImageRequestError(400, message)


@dataclass(frozen=True)
class Limits:
    """The largest output we render (also written into info.json)."""

    max_width: int = 8192
    max_height: int = 8192
    max_area: int = 4096 * 4096

    def fit(self, w, h, upscale=False):
        """Scale (w, h), keeping the aspect ratio, to the largest size within every limit;
        never above (w, h) itself unless ``upscale``."""
        scale = min(self.max_width / w, self.max_height / h, math.sqrt(self.max_area / (w * h)))
        if scale >= 1.0 and not upscale:
            return w, h
        return max(1, int(w * scale)), max(1, int(h * scale))

    def allows(self, w, h):
        return w <= self.max_width and h <= self.max_height and w * h <= self.max_area


@dataclass(frozen=True)
class Plan:
    x: int
    y: int
    w: int              # the region, in full-resolution pixels
    h: int
    width: int          # the output before rotation
    height: int
    rotation: int       # 0, 90, 180 or 270
    mirror: bool
    quality: str
    format: str

    @property
    def media_type(self):
        return MEDIA_TYPES[self.format]

    @property
    def key(self):
        """A canonical text of what is rendered (for cache keys and ETags)."""
        return (f"{self.x},{self.y},{self.w},{self.h}/{self.width},{self.height}/"
                f"{'!' if self.mirror else ''}{self.rotation}/{self.quality}.{self.format}")


def parse_region(text, width, height):
    if text == "full":
        return 0, 0, width, height
    if text == "square":
        side = min(width, height)
        return (width - side) // 2, (height - side) // 2, side, side
    m = _REGION_PX.match(text)
    if m:
        x, y, w, h = (int(v) for v in m.groups())
    else:
        m = _REGION_PCT.match(text)
        if not m:
            raise _bad(f"region '{text}' is not full, square, x,y,w,h or pct:x,y,w,h")
        px, py, pw, ph = (float(v) for v in m.groups())
        if px > 100 or py > 100:
            raise _bad("a region percentage must not start beyond 100")
        x, y = int(round(px * width / 100)), int(round(py * height / 100))
        w, h = int(round(pw * width / 100)), int(round(ph * height / 100))
        if pw > 0 and w == 0:
            w = 1
        if ph > 0 and h == 0:
            h = 1
    if w <= 0 or h <= 0:
        raise _bad("the region has no width or no height")
    if x >= width or y >= height:
        raise _bad("the region lies outside the image")
    return x, y, min(w, width - x), min(h, height - y)


def parse_size(text, rw, rh, limits):
    """The output (width, height) for a region of rw × rh pixels."""
    upscale = text.startswith("^")
    body = text[1:] if upscale else text
    if body == "max":
        return limits.fit(rw, rh, upscale=upscale)
    m = _SIZE_PCT.match(body)
    if m:
        pct = float(m.group(1))
        if pct <= 0:
            raise _bad("a size percentage must be above 0")
        if pct > 100 and not upscale:
            raise _bad("a size above 100% needs the ^ prefix")
        w, h = int(round(rw * pct / 100)), int(round(rh * pct / 100))
    else:
        m = _SIZE_WH.match(body)
        if not m:
            raise _bad(f"size '{text}' is not max, w,, ,h, pct:n, w,h or !w,h (optionally ^)")
        confined, ws, hs = m.groups()
        if confined:
            if ws is None or hs is None:
                raise _bad("!w,h needs both a width and a height")
            bw, bh = int(ws), int(hs)
            if bw == 0 or bh == 0:
                raise _bad("the size has no width or no height")
            scale = min(bw / rw, bh / rh)
            w, h = max(1, int(rw * scale + 1e-9)), max(1, int(rh * scale + 1e-9))
            w, h = min(w, bw), min(h, bh)
        elif ws is not None and hs is not None:
            w, h = int(ws), int(hs)
        elif ws is not None:
            w = int(ws)
            h = int(round(rh * w / rw))
        elif hs is not None:
            h = int(hs)
            w = int(round(rw * h / rh))
        else:
            raise _bad("the size names neither a width nor a height")
    if w <= 0 or h <= 0:
        raise _bad("the requested size has no width or no height")
    if not upscale and (w > rw or h > rh):
        raise _bad("a size larger than the region needs the ^ prefix")
    if not limits.allows(w, h):
        raise _bad(f"{w}×{h} is above this server's limit (maxWidth {limits.max_width}, "
                   f"maxHeight {limits.max_height}, maxArea {limits.max_area})")
    return w, h


def parse_rotation(text):
    m = _ROTATION.match(text)
    if not m:
        raise _bad(f"rotation '{text}' is not a number of degrees from 0 to 360")
    degrees = float(m.group(2))
    if degrees > 360:
        raise _bad("rotation must lie between 0 and 360")
    degrees %= 360
    if degrees not in (0, 90, 180, 270):
        raise ImageRequestError(501, "only rotations by multiples of 90 degrees are supported")
    return int(degrees), bool(m.group(1))


def parse_quality_format(text):
    quality, dot, fmt = text.rpartition(".")
    if not dot or not quality:
        raise _bad("the last segment must be {quality}.{format}")
    if quality not in QUALITIES:
        raise _bad(f"quality '{quality}' is not one of {', '.join(QUALITIES)}")
    if fmt not in FORMATS:
        if fmt in KNOWN_FORMATS:
            raise ImageRequestError(501, f"format '{fmt}' is not served here; ask for "
                                         + ", ".join(FORMATS))
        raise _bad(f"format '{fmt}' is not an image format")
    return quality, fmt


def plan(region, size, rotation, quality_format, width, height, limits=Limits()):
    """Check one Image API request against an image of ``width`` × ``height``."""
    x, y, w, h = parse_region(region, width, height)
    out_w, out_h = parse_size(size, w, h, limits)
    degrees, mirror = parse_rotation(rotation)
    quality, fmt = parse_quality_format(quality_format)
    return Plan(x, y, w, h, out_w, out_h, degrees, mirror, quality, fmt)


def scale_factors(width, height, tile=TILE):
    """Powers of two down to the level where the whole image fits in one tile."""
    factors, f = [], 1
    while True:
        factors.append(f)
        if width / f <= tile and height / f <= tile:
            return factors
        f *= 2


def info(service_id, width, height, limits=Limits(), sizes=()):
    """The info.json document of one image."""
    doc = {
        "@context": CONTEXT,
        "id": service_id,
        "type": "ImageService3",
        "protocol": "http://iiif.io/api/image",
        "profile": PROFILE,
        "width": width,
        "height": height,
        "maxWidth": limits.max_width,
        "maxHeight": limits.max_height,
        "maxArea": limits.max_area,
        "tiles": [{"width": TILE, "height": TILE,
                   "scaleFactors": scale_factors(width, height)}],
        "extraQualities": [q for q in QUALITIES if q != "default"],
        "extraFormats": [f for f in FORMATS if f not in ("jpg", "png")],
        "extraFeatures": list(EXTRA_FEATURES),
        "preferredFormats": ["jpg"],
    }
    if sizes:
        doc["sizes"] = [{"width": w, "height": h} for w, h in sizes]
    return doc
