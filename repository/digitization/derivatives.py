"""Image derivatives of page masters (pyvips): the pyramidal TIFF every IIIF tile is cut from."""
import pyvips

TILE = 512
QUALITY = 85


def load(path):
    """A master as an 8-bit sRGB or grey image without alpha (pyvips, streamed from disk)."""
    image = pyvips.Image.new_from_file(path, access="sequential")
    if image.hasalpha():
        image = image.flatten(background=[255] * (image.bands - 1))
    interpretation = image.interpretation
    if image.format != "uchar" or interpretation in ("cmyk", "lab", "labs", "rgb16", "grey16"):
        image = image.colourspace("b-w" if image.bands == 1 else "srgb")
    if image.bands == 2:            # grey plus an alpha band already flattened away
        image = image[0]
    return image


def pyramidal_tiff(path):
    """The bytes of a tiled (512 px), pyramidal, JPEG-compressed (Q 85) TIFF of ``path``."""
    image = load(path)
    return image.tiffsave_buffer(tile=True, tile_width=TILE, tile_height=TILE, pyramid=True,
                                 compression="jpeg", Q=QUALITY, strip=True)


def size_of(path):
    """``(width, height, pages)`` read from the header only (no pixels decoded)."""
    image = pyvips.Image.new_from_file(path)
    pages = image.get("n-pages") if "n-pages" in image.get_fields() else 1
    return image.width, image.height, pages


def resolution(path, default=300):
    """Pixels per inch the file declares, or ``default`` when it says nothing believable."""
    image = pyvips.Image.new_from_file(path)
    dpi = round(image.xres * 25.4)
    return dpi if 72 <= dpi <= 2400 else default
