"""Write figures as compact SVG, and compare two SVGs by what they show.

Floating-point results differ in their last bits from one machine (or BLAS, or thread count) to
the next, so a figure regenerated elsewhere is not byte-identical to the committed one:
`17.09336` here is `17.093363` there. What a reader sees does not change. So:

- `svg_text` writes every decimal number rounded to what the figure can show: two decimals for
  coordinates of 10 pt and more (1/7200 inch), and at least four significant digits below
  that (font scales such as 0.015625 stay exact enough). This also makes the files smaller.
- `differences` compares two SVGs: the text between the numbers must be identical (same
  elements, same labels, same glyphs, same colours), every number must agree within
  `TOLERANCE` (one unit of the last written digit, so a value that falls on the other side of
  a rounding boundary elsewhere still matches), and embedded raster images (imshow heat maps)
  must agree pixel by pixel within `PIXEL_TOLERANCE` levels. Ids that matplotlib derives from
  hashes of the content (clip paths, markers, images) are renamed in order of appearance
  first, since a hash changes with any digit of what it hashes.

A changed curve moves numbers by far more than the tolerance; a changed label changes the glyph
references between the numbers; both are reported.
"""

from __future__ import annotations

import base64
import io
import math
import re

import numpy as np

# a decimal number, not part of a name, an id, a colour or a version string
DECIMAL = re.compile(r"(?<![\w#.])-?\d+\.\d+(?![\w.])")
NUMBER = re.compile(r"(?<![\w#.])-?\d+(?:\.\d+)?(?![\w.])")
IMAGE = re.compile(r"data:image/png;base64,\s*(?P<data>[A-Za-z0-9+/=\s]+)")
HASH_ID = re.compile(r'id="(?P<id>[a-z]+[0-9a-f]{10})"')
TOLERANCE = 0.011  # one unit of the second decimal, the coarsest one `svg_text` writes
PIXEL_TOLERANCE = 2  # of 255 levels, per channel


def _rounded(match: re.Match) -> str:
    x = float(match[0])
    if x == 0:
        return "0"
    decimals = max(2, 3 - math.floor(math.log10(abs(x))))
    text = f"{x:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def svg_text(fig) -> str:
    """The figure as SVG text with its numbers rounded (see the module docstring)."""
    import matplotlib.pyplot as plt  # on use: the checks import this module to collect

    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None},
                bbox_inches="tight")
    plt.close(fig)
    text = buffer.getvalue()
    body = text.index(">", text.index("<svg")) + 1  # the XML declaration says version="1.0"
    return text[:body] + DECIMAL.sub(_rounded, text[body:])


def _canonical(text: str) -> tuple[str, list[np.ndarray]]:
    """Hash-derived ids renamed in order of appearance; images decoded and cut out."""
    import matplotlib.pyplot as plt

    images = []

    def cut(match: re.Match) -> str:
        data = base64.b64decode("".join(match["data"].split()))
        images.append(plt.imread(io.BytesIO(data), format="png"))
        return "data:image/png;base64,IMAGE"

    text = IMAGE.sub(cut, text)
    for k, ident in enumerate(dict.fromkeys(m["id"] for m in HASH_ID.finditer(text))):
        text = re.sub(rf"(?<![\w-]){ident}(?![\w-])", f"id{k}", text)
    return text, images


def differences(committed: str, fresh: str, limit: int = 5) -> list[str]:
    """What differs between two SVGs beyond machine-level noise (empty: the same figure)."""
    (a, images_a), (b, images_b) = _canonical(committed), _canonical(fresh)
    skeleton_a, skeleton_b = NUMBER.split(a), NUMBER.split(b)
    if skeleton_a != skeleton_b:
        k = next((i for i, (x, y) in enumerate(zip(skeleton_a, skeleton_b)) if x != y),
                 min(len(skeleton_a), len(skeleton_b)))
        at = len("".join(skeleton_a[:k])) + sum(len(n) for n in NUMBER.findall(a)[:k])
        return [f"the elements or text differ near character {at}: "
                f"{a[max(0, at - 60):at + 60]!r} vs {b[max(0, at - 60):at + 60]!r}"]
    found = []
    numbers_a, numbers_b = NUMBER.findall(a), NUMBER.findall(b)
    for k, (x, y) in enumerate(zip(numbers_a, numbers_b)):
        if abs(float(x) - float(y)) > TOLERANCE:
            where = len("".join(skeleton_a[: k + 1])) + sum(len(n) for n in numbers_a[:k])
            found.append(f"a number differs: {x} vs {y} near {a[max(0, where - 60):where]!r}")
            if len(found) == limit:
                break
    for k, (p, q) in enumerate(zip(images_a, images_b)):
        if p.shape != q.shape:
            found.append(f"embedded image {k}: shape {p.shape} vs {q.shape}")
        elif np.abs(p.astype(float) - q.astype(float)).max() * 255 > PIXEL_TOLERANCE:
            found.append(f"embedded image {k}: pixels differ by more than {PIXEL_TOLERANCE} levels")
    return found
