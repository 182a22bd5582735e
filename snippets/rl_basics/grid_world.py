"""The grid world shared by every rl-basics page, and the finite-MDP conventions they use.

Pages: rl-basics/state-values (and the other rl-basics articles), following S. Zhao,
*Mathematical Foundations of Reinforcement Learning*, ch. 1-2.

Conventions (one name for one thing across the rl-basics pages):
    S states, A = 5 actions, indexed row by row: s = row * n_cols + col.
    P[s, a, s']    = p(s' | s, a)                  shape (S, A, S), each P[s, a] sums to 1
    p_r[s, a, k]   = p(r = reward_values[k] | s, a) shape (S, A, K)
    R[s, a]        = sum_k p_r[s, a, k] * reward_values[k]   (expected immediate reward)
    pi[s, a]       = pi(a | s)                     shape (S, A), each row sums to 1

Rules of the grid (Zhao's book): five actions (up, right, down, left, stay); a move that
would leave the grid keeps the agent where it is and earns r_boundary; forbidden cells
can be entered (earning r_forbidden); entering or staying in the target earns r_target;
every other move earns r_other. Transitions and rewards are deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ACTIONS = ("up", "right", "down", "left", "stay")
ARROWS = "↑→↓←○"
# (row, col) displacement of each action, in the order of ACTIONS
ACTION_DELTAS = ((-1, 0), (0, 1), (1, 0), (0, -1), (0, 0))

# The 5x5 layout used on every rl-basics page: (row, col), 0-based, row 0 at the top.
DEFAULT_FORBIDDEN = ((1, 1), (1, 2), (2, 2), (3, 1), (3, 3), (4, 1))
DEFAULT_TARGET = (3, 2)
# The policy π₁ drawn on rl-basics/state-values (optimal for the default rewards and γ = 0.9,
# as rl-basics/bellman-optimality shows); other pages reuse it as a good reference policy.
PI_1_ARROWS = (
    "↓ → ↓ ↓ ↓",
    "↓ ↓ ↓ ↓ ↓",
    "→ → ↓ ↓ ↓",
    "→ → ○ ← ←",
    "↑ → ↑ ← ←",
)


@dataclass(frozen=True)
class GridWorld:
    """A finite MDP on an n_rows x n_cols grid (see the module docstring for the arrays)."""

    n_rows: int
    n_cols: int
    forbidden: tuple[tuple[int, int], ...]
    target: tuple[int, int]
    P: np.ndarray  # (S, A, S)
    reward_values: np.ndarray  # (K,)
    p_r: np.ndarray  # (S, A, K)

    @property
    def n_states(self) -> int:
        return self.n_rows * self.n_cols

    @property
    def n_actions(self) -> int:
        return len(ACTIONS)

    @property
    def R(self) -> np.ndarray:
        """Expected immediate reward R[s, a] = sum_r p(r|s,a) r, shape (S, A)."""
        return self.p_r @ self.reward_values

    def state(self, row: int, col: int) -> int:
        """Index of the cell (row, col)."""
        if not (0 <= row < self.n_rows and 0 <= col < self.n_cols):
            raise ValueError(f"cell ({row}, {col}) is outside the {self.n_rows}x{self.n_cols} grid")
        return row * self.n_cols + col

    def cell(self, s: int) -> tuple[int, int]:
        """(row, col) of state s."""
        if not 0 <= s < self.n_states:
            raise ValueError(f"state {s} is not in 0..{self.n_states - 1}")
        return divmod(s, self.n_cols)


def make_grid_world(
    n_rows: int = 5,
    n_cols: int = 5,
    forbidden=DEFAULT_FORBIDDEN,
    target=DEFAULT_TARGET,
    r_boundary: float = -1.0,
    r_forbidden: float = -1.0,
    r_target: float = 1.0,
    r_other: float = 0.0,
) -> GridWorld:
    """Build the grid world's model: P[s, a, s'] and the reward distribution p(r | s, a)."""
    if int(n_rows) != n_rows or int(n_cols) != n_cols or n_rows < 1 or n_cols < 1:
        raise ValueError(f"n_rows and n_cols must be positive integers, got {n_rows} and {n_cols}")
    forbidden = tuple(tuple(int(x) for x in c) for c in forbidden)
    target = tuple(int(x) for x in target)
    for name, cells in (("forbidden", forbidden), ("target", (target,))):
        for r, c in cells:
            if not (0 <= r < n_rows and 0 <= c < n_cols):
                raise ValueError(f"{name} cell ({r}, {c}) is outside the {n_rows}x{n_cols} grid")
    if target in forbidden:
        raise ValueError(f"target {target} cannot also be a forbidden cell")

    S, A = n_rows * n_cols, len(ACTIONS)
    # reward_values[k] are the possible rewards, in the order of the four cases of the rules
    reward_values = np.array([r_boundary, r_forbidden, r_target, r_other], dtype=float)
    P = np.zeros((S, A, S))
    p_r = np.zeros((S, A, len(reward_values)))
    for s in range(S):
        row, col = divmod(s, n_cols)
        for a, (dr, dc) in enumerate(ACTION_DELTAS):
            nr, nc = row + dr, col + dc
            if not (0 <= nr < n_rows and 0 <= nc < n_cols):
                nr, nc, case = row, col, 0  # bounced off the boundary
            elif (nr, nc) in forbidden:
                case = 1
            elif (nr, nc) == target:
                case = 2
            else:
                case = 3
            P[s, a, nr * n_cols + nc] = 1.0
            p_r[s, a, case] = 1.0
    return GridWorld(n_rows, n_cols, forbidden, target, P, reward_values, p_r)


def policy_from_arrows(rows: list[str]) -> np.ndarray:
    """Deterministic policy pi[s, a] from a picture, one string per grid row.

    Each character is one of ↑ → ↓ ← ○ (up, right, down, left, stay); spaces are ignored.
    """
    if not rows:
        raise ValueError("rows must hold at least one row of arrows")
    grid = [[ch for ch in row if not ch.isspace()] for row in rows]
    width = len(grid[0])
    if any(len(r) != width for r in grid):
        raise ValueError(f"rows must all have the same number of arrows, got {[len(r) for r in grid]}")
    actions = []
    for r in grid:
        for ch in r:
            if ch not in ARROWS:
                raise ValueError(f"rows may only contain the arrows {ARROWS!r}, got {ch!r}")
            # mutant rindex is equivalent: the arrows are distinct
            actions.append(ARROWS.index(ch))  # pragma: no mutate
    return np.eye(len(ACTIONS))[actions]


def uniform_policy(n_states: int, n_actions: int = len(ACTIONS)) -> np.ndarray:
    """pi(a | s) = 1 / A for every state: the uniformly random policy."""
    if n_states < 1 or n_actions < 1:
        raise ValueError(f"n_states and n_actions must be positive, got {n_states} and {n_actions}")
    return np.full((n_states, n_actions), 1.0 / n_actions)


def sample_from_cdf(cdf, rng: np.random.Generator) -> np.ndarray:
    """One index per row of cdf (each row: cumulative probabilities), by inversion.

    Row i gives index k with probability cdf[i, k] - cdf[i, k - 1]. Used by every sampler of
    the rl-basics pages (actions from pi, next states from P, start states from d0).
    """
    # mutant dtype=None is equivalent: an integer cdf compares the same with the float u
    cdf = np.asarray(cdf, dtype=float)  # pragma: no mutate
    if cdf.ndim != 2 or cdf.shape[1] == 0:
        raise ValueError(f"cdf must have shape (N, K) with K >= 1, got {cdf.shape}")
    # u is scaled by the last entry (1 up to rounding) so that it never overshoots;
    # mutants `/` for `*` and `>=` for `>` are equivalent (the last entry is 1; ties have
    # probability 0)
    u = rng.random((cdf.shape[0], 1)) * cdf[:, -1:]  # pragma: no mutate
    return (u > cdf).sum(axis=1)  # pragma: no mutate


# ----------------------------------------------------------------------------------------
# Input validation shared by the rl-basics snippets: each raises ValueError naming the
# argument and what was expected.
# ----------------------------------------------------------------------------------------

_ATOL = 1e-6  # rows of a float32 softmax sum to 1 within about 1e-7


def check_gamma(gamma: float) -> float:
    """The discount rate must lie in [0, 1) for the infinite-horizon sums to converge."""
    if not np.isscalar(gamma) or not np.isreal(gamma) or not 0.0 <= float(gamma) < 1.0:
        raise ValueError(f"gamma must be a number in [0, 1), got {gamma!r}")
    return float(gamma)


def check_distribution_rows(name: str, x, ndim: int) -> np.ndarray:
    """x has ndim axes, non-negative entries, and sums to 1 along its last axis."""
    x = np.asarray(x, dtype=float)
    if x.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} axes, got shape {x.shape}")
    if x.shape[-1] == 0 or not np.all(np.isfinite(x)) or np.any(x < 0):
        raise ValueError(f"{name} must hold finite non-negative probabilities, got shape {x.shape}")
    if not np.allclose(x.sum(axis=-1), 1.0, rtol=0.0, atol=_ATOL):
        raise ValueError(f"{name} must sum to 1 along its last axis")
    return x


def check_vector(name: str, x, length: int | None = None) -> np.ndarray:
    """x is a finite 1-D array (of the given length)."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 1 or (length is not None and x.shape[0] != length):
        want = f"({length},)" if length is not None else "one axis"
        raise ValueError(f"{name} must have shape {want}, got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must be finite")
    return x


def check_mdp(P, R) -> tuple[np.ndarray, np.ndarray]:
    """P of shape (S, A, S) with rows summing to 1 and R of shape (S, A)."""
    P = check_distribution_rows("P", P, 3)
    S, A, S2 = P.shape
    if S2 != S:
        raise ValueError(f"P must have shape (S, A, S), got {P.shape}")
    R = np.asarray(R, dtype=float)
    if R.shape != (S, A) or not np.all(np.isfinite(R)):
        raise ValueError(f"R must be finite with shape (S, A) = {(S, A)}, got {R.shape}")
    return P, R


def check_reward_model(P, reward_values, p_r):
    """P (S, A, S) and p_r (S, A, K) with rows summing to 1, reward_values of shape (K,)."""
    P = check_distribution_rows("P", P, 3)
    S, A, _ = P.shape
    p_r = check_distribution_rows("p_r", p_r, 3)
    reward_values = check_vector("reward_values", reward_values, p_r.shape[2])
    if p_r.shape[:2] != (S, A):
        raise ValueError(
            f"p_r must have shape (S, A, K) with (S, A) = {(S, A)}, got {p_r.shape}")
    return P, reward_values, p_r


def check_policy(pi, n_states: int, n_actions: int) -> np.ndarray:
    """pi of shape (S, A), each row a probability distribution over actions."""
    pi = check_distribution_rows("pi", pi, 2)
    if pi.shape != (n_states, n_actions):
        raise ValueError(f"pi must have shape (S, A) = {(n_states, n_actions)}, got {pi.shape}")
    return pi


if __name__ == "__main__":
    world = make_grid_world()
    print(f"{world.n_states} states, {world.n_actions} actions; target {world.target}")
    print("R[s, a] of the first row of cells:\n", world.R[: world.n_cols])
