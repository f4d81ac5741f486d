"""The observation model: period means, its fit, and predictions that stay on their scale."""

import numpy as np

from sim.model.observation import fit_linear, logit, period_means, predict, predictive_samples


def test_period_means_average_the_months_of_each_period():
    values = np.arange(12.0).reshape(2, 6)
    period = np.array([0, 0, 0, 1, 1, 2])
    means = period_means(values, period, 4)
    np.testing.assert_allclose(means[:, :3], [[1.0, 3.5, 5.0], [7.0, 9.5, 11.0]])
    assert np.isnan(means[:, 3]).all()


def test_the_fit_recovers_a_common_slope_under_pair_intercepts():
    rng = np.random.default_rng(3)
    groups = np.repeat(["a", "b", "c"], 200)
    latent = rng.uniform(-1, 1, groups.size) + np.repeat([0.5, -0.2, 0.1], 200)
    truth = {"a": 0.3, "b": -0.4, "c": 1.0}
    observed = np.array([truth[g] for g in groups]) + 0.7 * latent + rng.normal(0, 0.05, groups.size)
    intercepts, slope, sd = fit_linear(latent, observed, groups)
    assert abs(slope - 0.7) < 0.02
    assert all(abs(intercepts[g] - truth[g]) < 0.02 for g in truth)
    assert 0.04 < sd < 0.06


def test_predictions_stay_on_the_measurement_scale():
    latent = np.linspace(-1, 1, 11)
    votes = predict("unga_agreement", latent, 0.0, 5.0)
    assert ((votes > 0) & (votes < 1)).all() and np.all(np.diff(votes) > 0)
    cooperation = predictive_samples("net_cooperation", latent, 0.5, 2.0, 1.0, np.random.default_rng(0))
    assert ((cooperation >= -1) & (cooperation <= 1)).all()
    np.testing.assert_allclose(logit(predict("unga_agreement", latent, 0.2, 1.5)), 0.2 + 1.5 * latent)
