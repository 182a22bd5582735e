"""Figures of the rl-basics pages; drawing helpers they share."""

from __future__ import annotations

from matplotlib.patches import Rectangle

FORBIDDEN_COLOUR = "#ff8c00"
TARGET_COLOUR = "#00b0ff"


def outline_cells(ax, world, lw: float = 2.5, ticks: bool = True) -> None:
    """Outline the grid world's forbidden cells (orange) and target (blue) on an imshow axis."""
    for r, c in world.forbidden:
        ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, ec=FORBIDDEN_COLOUR, lw=lw))
    tr, tc = world.target
    ax.add_patch(Rectangle((tc - 0.5, tr - 0.5), 1, 1, fill=False, ec=TARGET_COLOUR, lw=lw))
    ax.set_xticks(range(world.n_cols) if ticks else [])
    ax.set_yticks(range(world.n_rows) if ticks else [])
