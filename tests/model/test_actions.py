"""The states' choice (sim.model.actions.choose_actions) against the rule its docstring
states, written out in NumPy: threat, loss and ties as sums over a third state, the class
levels, and each type's slot of [0, 1) filled as far as its intensity goes. Below and from
DOT_MIN_STATES on (where the sums are matrix products)."""

import numpy as np
import pytest

from sim.data.eventtypes import ACTION_CLASS, COOPERATE, OPPOSE, PASSIVE, SECURE, SUPPLY, TYPE_NAMES
from sim.model.actions import choose_actions, step_uniforms
from sim.model.kernel import balance_denominators
from sim.model.params import (
    AFFINITY,
    BALANCING,
    CLIENT_TIES,
    DOT_MIN_STATES,
    N_PARAMS,
    SUBSTITUTION,
    TIT_FOR_TAT,
)

CLASSES = np.array([ACTION_CLASS[t] for t in TYPE_NAMES], dtype=np.int64)


def reference(a, g, capability, threat_norm, row, uniforms):
    n = a.shape[0]
    off = ~np.eye(n, dtype=bool)
    neg_a, pos_a, neg_g = (np.where(off, np.maximum(0.0, x), 0.0) for x in (-a, a, -g))
    threat = np.einsum("k,ik,jk->ij", capability, neg_a, neg_a) * threat_norm
    loss = neg_g @ neg_a
    ties = np.einsum("k,ik,kj->ij", capability, pos_a, neg_a) * threat_norm
    base = row[AFFINITY] * a + row[TIT_FOR_TAT] * g
    cooperate = 1.0 + base + row[SUBSTITUTION] * loss
    secure = cooperate + row[BALANCING] * threat
    levels = {PASSIVE: np.zeros_like(a), COOPERATE: np.maximum(0.0, cooperate),
              SECURE: np.maximum(0.0, secure),
              SUPPLY: np.maximum(0.0, secure - row[CLIENT_TIES] * ties),
              OPPOSE: np.maximum(0.0, 1.0 - base)}
    rates = np.where(CLASSES != PASSIVE, row[N_PARAMS:], 0.0)
    edges = np.concatenate([[0.0], np.cumsum(rates / rates.sum())])
    chosen = np.full((n, n), -1)
    for i, j in zip(*np.nonzero(off), strict=True):
        k = int(np.searchsorted(edges, uniforms[i, j], side="right")) - 1
        if k < len(rates) and uniforms[i, j] - edges[k] < rates[k] * levels[CLASSES[k]][i, j]:
            chosen[i, j] = k
    return chosen


@pytest.mark.parametrize("n", [6, DOT_MIN_STATES + 3])
def test_the_choice_follows_the_stated_rule(n):
    rng = np.random.default_rng(n)  # any seed: the rule holds for every input
    a, g = rng.uniform(-1, 1, (n, n)), rng.normal(0, 0.3, (n, n))
    capability = rng.uniform(0.5, 2.0, n)
    capability /= capability.sum()
    row = np.zeros(N_PARAMS + len(TYPE_NAMES))
    row[[AFFINITY, TIT_FOR_TAT, BALANCING, SUBSTITUTION, CLIENT_TIES]] = rng.uniform(0, 20, 5)
    row[N_PARAMS:] = rng.uniform(0.05, 0.3, len(TYPE_NAMES))
    uniforms = step_uniforms(np.uint64(11), 3, n, np.empty((n, n)))
    threat_norm = balance_denominators(capability)
    chosen = np.empty((n, n), dtype=np.int64)
    choose_actions(a, g, capability, threat_norm, row, CLASSES, uniforms, chosen, np.zeros((6, n, n)))
    expected = reference(a, g, capability, threat_norm, row, uniforms)
    assert (chosen >= 0).sum() > n  # enough choices made for the comparison to mean something
    assert (chosen == expected).all()
