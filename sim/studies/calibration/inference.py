"""Neural posterior estimation (sbi) on the parameters' normal scores: train once on
simulations from the prior, then sample the posterior of any record (amortised).

torch and sbi come with the `calibrate` extra (pip install -e '.[calibrate]'); nothing
else in the package imports this module.
"""

import contextlib
import io
from dataclasses import dataclass

import numpy as np

from sim.errors import InputError


def _torch():
    try:
        import sbi  # noqa: F401
        import torch
    except ImportError:
        raise InputError("python", "sbi", "calibration needs torch and sbi: "
                         "pip install -e '.[calibrate]'") from None
    return torch


def seed_torch(seed: int, threads: int) -> None:
    """Every torch draw from `seed`, deterministic kernels, a fixed number of threads (the
    order of a float sum depends on it): the same command writes the same bytes."""
    torch = _torch()
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(threads)


class NoTracker:
    """sbi's training log, kept nowhere (by default sbi writes TensorBoard files into the
    working directory)."""

    log_dir = None

    def log_metric(self, name, value, step=None) -> None:
        pass

    def log_metrics(self, metrics, step=None) -> None:
        pass

    def log_params(self, params) -> None:
        pass

    def add_figure(self, name, figure, step=None) -> None:
        pass

    def flush(self) -> None:
        pass


@dataclass
class Estimator:
    posterior: object  # sbi DirectPosterior
    epochs: int
    validation_loss: float

    def sample(self, count: int, x: np.ndarray, seed: int) -> np.ndarray:
        """float64[count, D] normal scores drawn from the posterior given one record x[E]."""
        torch = _torch()
        torch.manual_seed(seed)
        draws = self.posterior.sample((count,), x=torch.as_tensor(x, dtype=torch.float32),
                                      show_progress_bars=False)
        return draws.double().numpy()

    def sample_batched(self, count: int, xs: np.ndarray, seed: int) -> np.ndarray:
        """float64[count, M, D]: `count` draws for each of M records xs[M, E]."""
        torch = _torch()
        torch.manual_seed(seed)
        draws = self.posterior.sample_batched((count,), x=torch.as_tensor(xs, dtype=torch.float32),
                                              max_sampling_batch_size=max(1, 100_000 // len(xs)),
                                              show_progress_bars=False)
        return draws.double().numpy()


def train(z: np.ndarray, x: np.ndarray, cal, seed: int, progress: bool) -> Estimator:
    """Fit q(z | x) to the pairs (z float[S, D] normal scores of prior draws, x float[S, E])."""
    torch = _torch()
    from sbi.inference import NPE
    from sbi.neural_nets import posterior_nn
    from torch.distributions import Independent, Normal

    seed_torch(seed, int(cal.threads))
    dims = z.shape[1]
    prior = Independent(Normal(torch.zeros(dims), torch.ones(dims)), 1)
    if cal.density_estimator == "mdn":
        builder = posterior_nn(model="mdn", hidden_features=int(cal.hidden_features))
    else:
        builder = posterior_nn(model=str(cal.density_estimator), hidden_features=int(cal.hidden_features),
                               num_transforms=int(cal.transforms))
    inference = NPE(prior=prior, density_estimator=builder, show_progress_bars=progress,
                    tracker=NoTracker())
    inference.append_simulations(torch.as_tensor(z, dtype=torch.float32),
                                 torch.as_tensor(x, dtype=torch.float32))
    # sbi counts the epochs on one line of stdout (its progress display); quiet without progress
    with contextlib.nullcontext() if progress else contextlib.redirect_stdout(io.StringIO()):
        estimator = inference.train(training_batch_size=int(cal.batch_size),
                                    max_num_epochs=int(cal.max_epochs),
                                    stop_after_epochs=int(cal.stop_after_epochs),
                                    show_train_summary=False)
    if progress:
        print()
    summary = inference.summary
    return Estimator(inference.build_posterior(estimator), int(summary["epochs_trained"][-1]),
                     float(summary["best_validation_loss"][-1]))
