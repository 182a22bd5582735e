"""Shared fixtures of the rl-basics checks: random finite MDPs and the 2x2 example."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from snippets.rl_basics.grid_world import make_grid_world


@dataclass
class RandomMDP:
    P: np.ndarray  # (S, A, S)
    reward_values: np.ndarray  # (K,)
    p_r: np.ndarray  # (S, A, K)
    pi: np.ndarray  # (S, A)

    @property
    def R(self) -> np.ndarray:
        return self.p_r @ self.reward_values


def random_mdp(seed: int, n_states: int = 6, n_actions: int = 3, n_rewards: int = 3) -> RandomMDP:
    """A dense random MDP with stochastic rewards and a stochastic policy."""
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.ones(n_states), size=(n_states, n_actions))
    p_r = rng.dirichlet(np.ones(n_rewards), size=(n_states, n_actions))
    reward_values = rng.normal(size=n_rewards)
    pi = rng.dirichlet(np.ones(n_actions), size=n_states)
    return RandomMDP(P, reward_values, p_r, pi)


@pytest.fixture
def mdp() -> RandomMDP:
    return random_mdp(seed=20261121)


@pytest.fixture
def world():
    """The 5x5 grid world of the rl-basics pages with its default rewards."""
    return make_grid_world()


@pytest.fixture
def tiny_world():
    """Zhao's 2x2 example (ch. 2): s1 s2 / s3 s4, s2 forbidden, s4 the target."""
    return make_grid_world(2, 2, forbidden=[(0, 1)], target=(1, 1))
