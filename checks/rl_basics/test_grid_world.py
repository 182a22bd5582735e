"""Checks of the shared grid world (snippets/rl_basics/grid_world.py).

The model is compared with a table written by hand for Zhao's 2x2 example and with the rules
re-derived by coordinate clipping for the 5x5 world. No key equation lives here: the grid world
is described on rl-basics/state-values, whose equations are checked in test_state_values.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from snippets.rl_basics.grid_world import (
    ACTION_DELTAS,
    ACTIONS,
    DEFAULT_FORBIDDEN,
    DEFAULT_TARGET,
    check_distribution_rows,
    check_gamma,
    check_mdp,
    check_policy,
    check_vector,
    make_grid_world,
    policy_from_arrows,
    sample_from_cdf,
    uniform_policy,
)

# Zhao's 2x2 example: s1 s2 / s3 s4 (0-based 0 1 / 2 3), s2 forbidden, s4 target.
# Written by hand from the rules: (next state, reward) for actions up, right, down, left, stay.
TINY_TABLE = {
    0: [(0, -1), (1, -1), (2, 0), (0, -1), (0, 0)],
    1: [(1, -1), (1, -1), (3, 1), (0, 0), (1, -1)],
    2: [(0, 0), (3, 1), (2, -1), (2, -1), (2, 0)],
    3: [(1, -1), (3, -1), (3, -1), (2, 0), (3, 1)],
}


def test_tiny_world_matches_the_hand_written_table(tiny_world):
    assert tiny_world.P.shape == (4, 5, 4)
    for s, row in TINY_TABLE.items():
        for a, (s_next, reward) in enumerate(row):
            expected = np.zeros(4)
            expected[s_next] = 1.0
            np.testing.assert_array_equal(tiny_world.P[s, a], expected, err_msg=f"P[{s}, {a}]")
            assert tiny_world.R[s, a] == reward, (s, ACTIONS[a])


def test_every_transition_row_is_a_distribution(world):
    assert world.P.shape == (25, 5, 25)
    assert np.all(world.P >= 0)
    np.testing.assert_allclose(world.P.sum(axis=2), 1.0, rtol=0, atol=1e-15)
    np.testing.assert_allclose(world.p_r.sum(axis=2), 1.0, rtol=0, atol=1e-15)


def test_rewards_follow_the_rules_by_coordinate_clipping():
    r = dict(r_boundary=-2.0, r_forbidden=-7.0, r_target=5.0, r_other=0.25)
    world = make_grid_world(**r)
    for s in range(world.n_states):
        row, col = world.cell(s)
        for a, (dr, dc) in enumerate(ACTION_DELTAS):
            nr, nc = np.clip(row + dr, 0, 4), np.clip(col + dc, 0, 4)
            bounced = (nr, nc) != (row + dr, col + dc)
            if bounced:
                want = r["r_boundary"]
            elif (nr, nc) in DEFAULT_FORBIDDEN:
                want = r["r_forbidden"]
            elif (nr, nc) == DEFAULT_TARGET:
                want = r["r_target"]
            else:
                want = r["r_other"]
            assert world.R[s, a] == want, (row, col, ACTIONS[a])
            assert world.P[s, a, world.state(nr, nc)] == 1.0


def test_layout_and_indexing(world):
    assert (world.n_states, world.n_actions) == (25, 5)
    assert world.forbidden == DEFAULT_FORBIDDEN and world.target == DEFAULT_TARGET
    assert world.state(3, 2) == 17 and world.cell(17) == (3, 2)
    assert [world.cell(world.state(r, c)) for r in range(5) for c in range(5)] == [
        (r, c) for r in range(5) for c in range(5)]
    # staying in the target earns r_target, and the reward support is the four cases
    assert world.R[17, ACTIONS.index("stay")] == 1.0
    np.testing.assert_array_equal(world.reward_values, [-1.0, -1.0, 1.0, 0.0])


def test_policy_from_arrows_and_uniform_policy():
    pi = policy_from_arrows(["→ ↓", "○ ←"])
    np.testing.assert_array_equal(pi.argmax(axis=1), [1, 2, 4, 3])
    np.testing.assert_array_equal(pi.sum(axis=1), 1.0)
    u = uniform_policy(3, 4)
    np.testing.assert_array_equal(u, np.full((3, 4), 0.25))
    assert uniform_policy(2).shape == (2, 5)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: make_grid_world(0, 5), "n_rows and n_cols"),
        (lambda: make_grid_world(2.5, 5), "n_rows and n_cols"),
        (lambda: make_grid_world(5, -1), "n_rows and n_cols"),
        (lambda: make_grid_world(forbidden=[(5, 0)]), r"forbidden cell \(5, 0\)"),
        (lambda: make_grid_world(target=(0, 5)), r"target cell \(0, 5\)"),
        (lambda: make_grid_world(target=(-1, 0)), r"target cell"),
        (lambda: make_grid_world(target=(1, 1)), "cannot also be a forbidden"),
        (lambda: make_grid_world().state(5, 0), r"cell \(5, 0\) is outside"),
        (lambda: make_grid_world().state(0, -1), r"cell \(0, -1\) is outside"),
        (lambda: make_grid_world().state(0, 5), r"cell \(0, 5\) is outside"),
        (lambda: make_grid_world(forbidden=[(0, -1)]), r"forbidden cell \(0, -1\)"),
        (lambda: make_grid_world().cell(25), "state 25 is not in 0..24"),
        (lambda: make_grid_world().cell(-1), "state -1"),
        (lambda: policy_from_arrows([]), "at least one row"),
        (lambda: policy_from_arrows(["→↓", "→"]), "same number of arrows"),
        (lambda: policy_from_arrows(["→x"]), "only contain the arrows"),
        (lambda: uniform_policy(0), "must be positive"),
        (lambda: uniform_policy(3, 0), "must be positive"),
        (lambda: check_gamma(1.0), r"gamma must be a number in \[0, 1\)"),
        (lambda: check_gamma(-0.1), "gamma must"),
        (lambda: check_gamma(np.array([0.5])), "gamma must"),
        (lambda: check_gamma(0.5 + 0.1j), "gamma must"),
        (lambda: check_distribution_rows("pi", np.ones(3) / 3, 2), r"pi must have 2 axes"),
        (lambda: check_distribution_rows("pi", np.zeros((2, 0)), 2), "pi must hold finite"),
        (lambda: check_distribution_rows("P", np.zeros((2, 3, 0)), 3), "P must hold finite"),
        (lambda: check_mdp(np.full((2, 1, 2), 0.6), np.zeros((2, 1))), "P must sum to 1"),
        (lambda: policy_from_arrows([]), "^rows must hold at least one row of arrows$"),
        (lambda: check_distribution_rows("pi", [[1.5, -0.5]], 2), "pi must hold finite non-negative"),
        (lambda: check_distribution_rows("pi", [[np.nan, 1.0]], 2), "pi must hold finite"),
        (lambda: check_distribution_rows("pi", [[0.5, 0.6]], 2), "pi must sum to 1"),
        (lambda: check_vector("v", [[1.0]]), r"v must have shape one axis"),
        (lambda: check_vector("v", [1.0, 2.0], 3), r"v must have shape \(3,\)"),
        (lambda: check_vector("v", [np.inf]), "v must be finite"),
        (lambda: check_mdp(np.ones((2, 1, 3)) / 3, np.zeros((2, 1))), r"P must have shape \(S, A, S\)"),
        (lambda: check_mdp(np.ones((2, 1, 2)) / 2, np.zeros((2, 2))), r"R must be finite with shape \(S, A\) = \(2, 1\)"),
        (lambda: check_mdp(np.ones((2, 1, 2)) / 2, [[0.0], [np.nan]]), "R must be finite"),
        (lambda: check_policy(np.ones((2, 3)) / 3, 2, 2), r"pi must have shape \(S, A\) = \(2, 2\)"),
    ],
)
def test_bad_input_raises_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_valid_inputs_at_the_edges_pass_validation_as_floats():
    assert check_gamma(0) == 0.0 and check_gamma(0.99) == 0.99
    x = check_distribution_rows("p", [[0, 1]], 2)
    assert x.dtype == np.float64 and x.shape == (1, 2)
    # rows summing to 1 within 1e-6 are accepted: rounding of a float32 softmax must not fail
    check_distribution_rows("p", [[0.5, 0.5 + 5e-7]], 2)
    with pytest.raises(ValueError, match="p must sum to 1"):
        check_distribution_rows("p", [[0.5, 0.5 + 5e-6]], 2)
    v = check_vector("v", [1, 2], 2)
    assert v.dtype == np.float64 and v.tolist() == [1.0, 2.0]
    P, R = check_mdp([[[1]]], [[2]])
    assert P.dtype == np.float64 and R.dtype == np.float64
    # the smallest grid, cells in row and column 0, integer rewards
    one = make_grid_world(1, 1, forbidden=(), target=(0, 0), r_boundary=-2, r_forbidden=-1,
                          r_target=3, r_other=0)
    assert one.R.tolist() == [[-2.0] * 4 + [3.0]] and one.reward_values.dtype == np.float64
    edge = make_grid_world(2, 1, forbidden=[(0, 0)], target=(1, 0))
    assert edge.state(1, 0) == 1 and edge.cell(1) == (1, 0)
    assert make_grid_world(1, 2, forbidden=(), target=(0, 1)).n_states == 2
    np.testing.assert_array_equal(uniform_policy(1, 1), [[1.0]])


def test_sample_from_cdf_draws_each_index_with_its_probability():
    probs = np.array([[0.1, 0.0, 0.6, 0.3], [0.25, 0.25, 0.25, 0.25]])
    n = 20_000
    cdf = np.repeat(np.cumsum(probs, axis=1), n, axis=0)  # n rows of each distribution
    draws = sample_from_cdf(cdf, np.random.default_rng(0)).reshape(2, n)
    for row, p in zip(draws, probs):
        freq = np.bincount(row, minlength=4) / n
        standard_error = np.sqrt(p * (1 - p) / n)
        assert np.all(np.abs(freq - p) <= 4 * standard_error + 1e-12), (freq, p)
    assert not np.any(draws[0] == 1)  # probability 0 is never drawn


def test_sample_from_cdf_never_overshoots_a_cdf_that_rounds_below_one():
    cdf = np.tile([0.3, 0.999_999_9], (1000, 1))
    assert sample_from_cdf(cdf, np.random.default_rng(1)).max() <= 1
    with pytest.raises(ValueError, match=r"^cdf must have shape \(N, K\)"):
        sample_from_cdf(np.ones(3), np.random.default_rng())
    with pytest.raises(ValueError, match="cdf must have shape"):
        sample_from_cdf(np.ones((3, 0)), np.random.default_rng())
