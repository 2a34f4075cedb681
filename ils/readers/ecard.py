"""The e-card's images: a Code 128 barcode and a QR code of the card number, as SVG.

Both carry only the card number, so any desk scanner (1-D or 2-D, keyboard or
serial mode) types the same thing the librarian would.  The SVGs have a
``viewBox`` and no fixed size: the page decides how large they print.
"""
import io

import segno
from barcode import Code128

__all__ = ["barcode_svg", "qr_svg"]

QUIET = 10        # modules of white either side, as Code 128 asks


def barcode_svg(text, height=30):
    """A Code 128 barcode of ``text`` (bars from python-barcode's encoder)."""
    modules = Code128(text).build()[0]
    width = len(modules) + 2 * QUIET
    bars, x = [], 0
    while x < len(modules):
        if modules[x] == "1":
            start = x
            while x < len(modules) and modules[x] == "1":
                x += 1
            bars.append(f'<rect x="{start + QUIET}" y="0" width="{x - start}" height="{height}"/>')
        else:
            x += 1
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'preserveAspectRatio="none" shape-rendering="crispEdges" role="img" '
            f'aria-label="Code 128: {text}"><rect width="{width}" height="{height}" '
            f'fill="#fff"/><g fill="#000">{"".join(bars)}</g></svg>')


def qr_svg(text):
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", xmldecl=False, omitsize=True, border=2,
                                     dark="#000", light="#fff")
    return out.getvalue().decode("ascii")
