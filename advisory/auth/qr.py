"""QR codes as inline SVG: paths only, no script or style, so the CSP needs no exception."""

from __future__ import annotations

import segno


def qr_svg(data: str, *, title: str) -> str:
    """SVG markup for `data`, safe to place in a page as is (segno escapes the title)."""
    code = segno.make(data, error="m")
    return str(
        code.svg_inline(
            scale=4, dark="#000", light="#fff", svgclass="qr", lineclass=None, title=title
        )
    )
