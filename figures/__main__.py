"""Regenerate every figure of the site: `python -m figures` (or `make figures`).

Each module figures/<section_>/<article_>.py defines `figures() -> dict[name, Figure]`, built
from the article's snippet functions; each figure is written to docs/<section>/img/<name>.svg.
The SVGs are committed; checks/site/test_figures.py fails when one is missing or stale.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# Byte-for-byte reproducible SVGs: fixed ids, no date, glyphs as paths (no font needed).
STYLE = {"svg.hashsalt": "verified-ml-math", "svg.fonttype": "path", "font.size": 10}


def figure_modules() -> list[str]:
    return sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts)
        for p in (ROOT / "figures").glob("*/*.py")
        if p.name != "__init__.py"
    )


def render(module_name: str, out_root: Path) -> list[Path]:
    """Write the figures of one module (e.g. "figures.rl_basics.state_values") under
    out_root/<section>/img/; return the paths written."""
    written = []
    with matplotlib.rc_context(STYLE):
        module = importlib.import_module(module_name)
        section = module_name.split(".")[1].replace("_", "-")
        for fig_name, fig in module.figures().items():
            path = out_root / section / "img" / f"{fig_name}.svg"
            path.parent.mkdir(parents=True, exist_ok=True)
            fig.savefig(path, format="svg", metadata={"Date": None}, bbox_inches="tight")
            plt.close(fig)
            written.append(path)
    return written


def render_all(out_root: Path) -> list[Path]:
    """Write every figure of the site under out_root/<section>/img/."""
    return [path for name in figure_modules() for path in render(name, out_root)]


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    for path in render_all(ROOT / "docs"):
        print(path.relative_to(ROOT))
