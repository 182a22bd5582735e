"""Regenerate every figure of the site: `python -m figures` (or `make figures`);
`python -m figures figures.<section_>.<article_>` regenerates one module's.

Each module figures/<section_>/<article_>.py defines `figures() -> dict[name, Figure]`, built
from the article's snippet functions; each figure is written to
docs/<section>/img/<article>-<name>.svg (the name starts with the article's slug).
The SVGs are committed; checks/site/test_figures.py fails when one is missing, extra or shows
something else than its module draws. `python -m figures --check` makes the same comparison
without writing anything (exit 1 on a difference), e.g. under another OMP_NUM_THREADS.
Drawing a module records what it was drawn from in figures/record.json (figures/record.py).
"""

from __future__ import annotations

import importlib
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from figures import record  # noqa: E402
from figures.svg import differences, svg_text  # noqa: E402

# Reproducible SVGs: fixed ids, no date, glyphs as paths (no font needed).
STYLE = {"svg.hashsalt": "verified-ml-math", "svg.fonttype": "path", "font.size": 10}


def figure_modules() -> list[str]:
    return sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts)
        for p in (ROOT / "figures").glob("*/*.py")
        if p.name != "__init__.py"
    )


def slug(module_name: str) -> str:
    """figures.rl_basics.state_values -> state-values, the prefix of its figures' names."""
    return module_name.split(".")[2].replace("_", "-")


def site_dir(module_name: str) -> str:
    """figures.rl_basics.state_values -> rl-basics/img."""
    return module_name.split(".")[1].replace("_", "-") + "/img"


def render(module_name: str, out_root: Path) -> list[Path]:
    """Write the figures of one module (e.g. "figures.rl_basics.state_values") under
    out_root/<section>/img/; return the paths written."""
    import matplotlib.pyplot as plt  # here, not at the top: the checks import this module to collect

    written = []
    with matplotlib.rc_context(STYLE):
        module = importlib.import_module(module_name)
        for fig_name, fig in module.figures().items():
            if not fig_name.startswith(slug(module_name) + "-"):
                raise ValueError(f"{module_name}: figure {fig_name!r} must be named "
                                 f"{slug(module_name)}-…")
            path = out_root / site_dir(module_name) / f"{fig_name}.svg"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(svg_text(fig), encoding="utf-8")
            plt.close(fig)
            written.append(path)
    return written


def owner(section_dir: str, stem: str) -> str | None:
    """The figure module a committed SVG belongs to: the longest slug its name starts with."""
    mine = [m for m in figure_modules()
            if site_dir(m) == section_dir and stem.startswith(slug(m) + "-")]
    return max(mine, key=len, default=None)


def committed_figures(module_name: str, docs: Path = ROOT / "docs") -> set[str]:
    """Names of the committed SVGs that belong to a module."""
    return {p.stem for p in (docs / site_dir(module_name)).glob("*.svg")
            if owner(site_dir(module_name), p.stem) == module_name}


def committed_paths(module_name: str, docs: Path = ROOT / "docs") -> list[Path]:
    return sorted(docs / site_dir(module_name) / f"{name}.svg"
                  for name in committed_figures(module_name, docs))


def stale(module_name: str, out_root: Path, docs: Path = ROOT / "docs") -> list[str]:
    """What differs between a module's fresh figures (written under out_root) and the
    committed ones: missing, extra, or showing something else."""
    fresh = {p.stem: p for p in render(module_name, out_root)}
    problems = [f"{site_dir(module_name)}/{name}.svg is not committed (run `make figures`)"
                for name in sorted(fresh.keys() - committed_figures(module_name, docs))]
    problems += [f"{site_dir(module_name)}/{name}.svg is committed but {module_name} does not "
                 "draw it" for name in sorted(committed_figures(module_name, docs) - fresh.keys())]
    for name in sorted(fresh.keys() & committed_figures(module_name, docs)):
        committed = (docs / site_dir(module_name) / f"{name}.svg").read_text(encoding="utf-8")
        problems += [f"{site_dir(module_name)}/{name}.svg: {d}"
                     for d in differences(committed, fresh[name].read_text(encoding="utf-8"))]
    return problems


def main(argv: list[str]) -> int:
    """`python -m figures [--check] [MODULE ...]`: every module, or only those named
    (e.g. `figures.rl_basics.state_values`)."""
    named = [a for a in argv if not a.startswith("--")]
    unknown = sorted(set(named) - set(figure_modules()))
    if unknown:
        print(f"unknown figure module(s): {', '.join(unknown)}; known: {', '.join(figure_modules())}")
        return 2
    modules = named or figure_modules()
    if "--check" in argv:
        with tempfile.TemporaryDirectory() as tmp:
            problems = [p for m in modules for p in stale(m, Path(tmp))]
        print("\n".join(problems) or f"all figures of {len(modules)} modules are current")
        return 1 if problems else 0
    for name in modules:
        written = render(name, ROOT / "docs")
        for path in written:
            print(path.relative_to(ROOT))
        record.write(name, written)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
