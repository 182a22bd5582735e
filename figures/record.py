"""What `python -m figures` drew each figure from: figures/record.json.

For every figure module, the record holds a hash of its inputs (the module's source, every
project module it imports, directly or not, the data files a module names in a module-level
`DATA = ("benchmarks/results/….json", …)` (measurements a figure draws, such as a benchmark's
timings), the drawing code of figures/, and the versions of Python, NumPy, Matplotlib and torch) and the SHA-256 of each SVG it wrote. While a module's
inputs and its committed SVGs are exactly those of the record, the SVGs are what the present
code draws, and the site check (checks/site/test_figures.py) need not draw them again; when
anything differs it draws them and compares. `python -m figures --check` (CI) ignores the
record and always draws every figure.
"""

from __future__ import annotations

import ast
import hashlib
import json
import platform
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECORD = ROOT / "figures" / "record.json"
PROJECT = ("figures", "snippets")
DRAWING = ("figures/__main__.py", "figures/svg.py", "figures/record.py")
LIBRARIES = ("numpy", "matplotlib", "torch")


def _module_file(name: str, root: Path) -> Path | None:
    base = root.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _imports(path: Path) -> set[str]:
    """Project modules (and packages) a source file imports, by name."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}  # a submodule, if one
    found = set()
    for name in names:
        if name.split(".")[0] in PROJECT:
            parts = name.split(".")
            found |= {".".join(parts[:k]) for k in range(1, len(parts) + 1)}  # and its packages
    return found


def _data_files(path: Path, root: Path) -> set[Path]:
    """The files a module names in a module-level `DATA = ("path", ...)`, relative to root."""
    found = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if (isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "DATA"
                                                 for t in node.targets)):
            found |= {root / p for p in ast.literal_eval(node.value)}
    return found


def sources(module_name: str, root: Path = ROOT) -> list[Path]:
    """The module's file, every project file it imports, directly or not, and their DATA."""
    seen: dict[str, Path] = {}
    todo = [module_name]
    while todo:
        name = todo.pop()
        path = _module_file(name, root)
        if name in seen or path is None:
            continue
        seen[name] = path
        todo += sorted(_imports(path) - seen.keys())
    data = set().union(*(_data_files(p, root) for p in seen.values()))
    return sorted(set(seen.values()) | data | {root / p for p in DRAWING})


def inputs_hash(module_name: str, root: Path = ROOT) -> str:
    digest = hashlib.sha256()
    for path in sources(module_name, root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    versions = [platform.python_version()] + [metadata.version(lib) for lib in LIBRARIES]
    digest.update("\0".join(versions).encode())
    return digest.hexdigest()


def svg_hashes(paths) -> dict[str, str]:
    return {p.stem: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def load(record: Path = RECORD) -> dict:
    return json.loads(record.read_text(encoding="utf-8")) if record.is_file() else {}


def write(module_name: str, svgs, root: Path = ROOT, record: Path = RECORD) -> None:
    """Record what a module was drawn from and what it wrote."""
    data = load(record)
    data[module_name] = {"inputs": inputs_hash(module_name, root), "svgs": svg_hashes(svgs)}
    record.write_text(json.dumps(dict(sorted(data.items())), indent=1) + "\n", encoding="utf-8")


def matches(module_name: str, committed, root: Path = ROOT, record: Path = RECORD) -> bool:
    """Whether the module's inputs and its committed SVGs are those of the record."""
    entry = load(record).get(module_name)
    return (entry is not None and entry["inputs"] == inputs_hash(module_name, root)
            and entry["svgs"] == svg_hashes(committed))
