"""Speed and memory of the ensemble kernel, as ratios measured in one run.

    python benchmarks/bench.py            # the full benchmark (several minutes)
    python benchmarks/bench.py --quick    # a short smoke version of every section

Sections (benchmarks/README.md says what each printed line means):

1. pair-updates per second (replicates x steps x N(N-1)) of sim.model.ensemble.run_ensemble,
   called through sim.model.ensemble.simulate, with and without the quantile histograms, with
   the states acting from the first step (the replay-only rows have the record alone),
   against a plain Mesa agent loop and a NumPy version vectorised over replicates, for
   5 states x 10,000 replicates and 200 states x 10 replicates (240 steps each); for
   200 states also the GFLOP/s of the balance term and this machine's matmul peak;
2. the peak memory of 100,000 replicates (5 states, 240 steps, quantile histograms on),
   measured in a child process;
3. the wall time of `python -m sim +scenario=aid_freeze`, with a cold and a warm numba
   cache;
4. thread determinism: the same ensemble under NUMBA_NUM_THREADS=1 and 2 (and, for 200
   states, OPENBLAS_NUM_THREADS=1 and the BLAS default) hashes to the same bytes;
5. one replicate-step of 200 states, piece by piece, on one thread;
6. the world: 193 states x 1,000 replicates x 120 months with the states acting, mean only
   (the default quantile_bins, which the histogram budget turns into 0 at this size: the
   line says how much memory the histograms would need), wall time and peak memory in a
   child process, written under `speed_world`.

Unless --use-repo-cache is given, numba compiles into a fresh temporary cache directory,
so the compile time printed is a real compile and the repository's __pycache__ is left
as it was.
"""

import argparse
import hashlib
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
THIS = Path(__file__).resolve()

# targets (pair-updates per second and GFLOP/s) and the reference figures quoted with them
TARGET_5_MPU = 322.0
TARGET_5_AGENTS_MPU = 300.0
REFERENCE_MESA_MPU = 0.8
REFERENCE_NUMPY_MPU = 68.0
TARGET_200_GFLOPS = 74.0
DEVIATES = "normal deviates"  # a piece of section 5; the next two lines are not pieces of its sum
COMMON_BRANCH = "deviates' vectorised common branch alone"
WHOLE_STEP = "the whole step"
MEMORY_BUDGET_MB = 1024.0
TARGET_200_AGENTS_SHARE = 0.5  # of the products' own speed, with the states acting
TARGET_COLD_S = 12.0
TARGET_WARM_S = 1.5
WORLD = {"n": 193, "reps": 1000, "steps": 120}
TARGET_WORLD_S = 100.0
TARGET_WORLD_MB = 4096.0
BOUNDS_ENV = "SIM_BENCH_BOUNDS"  # --bounds, handed to the child processes

# the rates of one parameter set (per step), in sim.model.params.PARAM_NAMES order
RATES = {"lam": 0.03, "beta": 0.02, "rho": 0.05, "sigma": 0.02, "mu": 0.003, "gain": 0.05,
         "source_share": 0.4, "affinity": 2.0, "tit_for_tat": 10.0, "balancing": 5.0,
         "substitution": 20.0, "client_ties": 2.0, "memory": 0.8}
ACTION_RATE = 0.003  # per month, pair and chosen type, when the states act
MONEY_REF_USD = 1.0e8
TIV_REF = 16.0


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="a short smoke version of every section")
    p.add_argument("--sections", default="1,2,3,4,5,6", help="comma-separated sections to run")
    p.add_argument("--repeat", type=int, default=5, help="best of this many for the fast timings")
    p.add_argument("--use-repo-cache", action="store_true",
                   help="use numba's usual cache (sim/__pycache__) instead of a fresh one")
    p.add_argument("--keep-tmp", action="store_true", help="keep the temporary directory")
    p.add_argument("--json", type=Path, help="also write the measured figures to this file")
    p.add_argument("--bounds", choices=("tanh", "heider", "clip"), default=None,
                   help="the kernel's bounds form (model.bounds; default tanh): clip compares "
                        "with kernels older than the bounded forms")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--child-args", default="{}", help=argparse.SUPPRESS)
    return p.parse_args(argv)


# ----------------------------------------------------------------------------------------
# inputs shared by the kernel and the baselines


def make_inputs(n: int, reps: int, steps: int, seed: int = 1, n_events: int = 36,
                variants: int = 1) -> dict:
    """Random initial alignment, capability uniform(0.5, 2), `n_events` random dated events
    (money or level, any type), one parameter set repeated for every replicate. With
    variants=2 the second variant adds one aid cut half way (a scenario)."""
    import numpy as np

    from sim.data.eventtypes import DEFAULT_WEIGHTS, TYPE_INDEX, TYPE_NAMES
    from sim.model.ensemble import Schedule
    from sim.run.inputs import event_factor

    g = np.random.default_rng(seed)
    alignment = g.uniform(-1.0, 1.0, (n, n))
    np.fill_diagonal(alignment, 0.0)
    capability = g.uniform(0.5, 2.0, n)
    step = np.sort(g.integers(0, steps, n_events))
    source = g.integers(0, n, n_events)
    target = (source + g.integers(1, n, n_events)) % n
    kind = g.integers(0, len(TYPE_NAMES), n_events)
    money = g.random(n_events) < 0.5
    magnitude = np.where(money, 10.0 ** g.uniform(7.0, 10.0, n_events), g.uniform(0.5, 2.0, n_events))
    factor = event_factor(magnitude, np.where(money, "usd", "level"), MONEY_REF_USD, TIV_REF)
    columns = [(step, target, source, kind, factor)]
    if variants == 2:  # the scenario: one more event, an aid cut of $2 bn from 0 to 1 half way
        where = int(np.searchsorted(step, steps // 2, side="right"))
        cut = event_factor(np.array([2e9]), np.array(["usd"]), MONEY_REF_USD, TIV_REF)[0]
        added = (steps // 2, 1 % n, 0, TYPE_INDEX["aid_cut"], cut)
        columns.append(tuple(np.insert(x, where, value) for x, value in zip(columns[0], added, strict=True)))
    ptr = np.zeros((len(columns), steps + 1), dtype=np.int64)
    offset = 0
    for v, (s, *_) in enumerate(columns):
        ptr[v] = offset + np.concatenate([[0], np.cumsum(np.bincount(s, minlength=steps))])
        offset = ptr[v, -1]
    target, source, kind, factor = (np.concatenate([c[k] for c in columns]) for k in range(1, 5))
    schedule = Schedule(ptr, target.astype(np.int64), source.astype(np.int64), kind.astype(np.int64),
                        factor.astype(np.float64))
    from sim.model.params import PARAM_NAMES

    row = [RATES[name] for name in PARAM_NAMES] + [0.0] * len(TYPE_NAMES)  # no action rates
    rates = np.tile(row, (reps, 1))
    weights = np.tile([DEFAULT_WEIGHTS[name] for name in TYPE_NAMES], (reps, 1))
    return {"alignment": alignment, "capability": capability, "schedule": schedule,
            "rates": rates, "weights": weights, "n": n, "reps": reps, "steps": steps}


def acting(inputs: dict) -> dict:
    """The same inputs with the states choosing their own actions from the first step."""
    import numpy as np

    from sim.data.eventtypes import CHOSEN_TYPES, TYPE_INDEX, TYPE_NAMES
    from sim.model.ensemble import Agency
    from sim.model.params import N_PARAMS

    rates = inputs["rates"].copy()
    for name in CHOSEN_TYPES:
        rates[:, N_PARAMS + TYPE_INDEX[name]] = ACTION_RATE
    n_variants = inputs["schedule"].ptr.shape[0]
    return dict(inputs, rates=rates, agency=Agency(np.ones(len(TYPE_NAMES)),
                                                   np.zeros(n_variants, dtype=np.int64)))


def with_reps(inputs: dict, reps: int, sigma: float | None = None) -> dict:
    import numpy as np

    from sim.model.params import SIGMA

    out = dict(inputs, reps=reps, rates=np.tile(inputs["rates"][:1], (reps, 1)),  # agency kept
               weights=np.tile(inputs["weights"][:1], (reps, 1)))
    if sigma is not None:
        out["rates"][:, SIGMA] = sigma
    return out


def inverse_denominators(capability):
    """1 / sum_{k != i, j} w_k, 0 on the diagonal (as sim.model.kernel.balance_denominators)."""
    import numpy as np

    n = len(capability)
    rest = capability.sum() - capability[:, None] - capability[None, :]
    with np.errstate(divide="ignore"):
        inv = np.where((rest > 0) & (n > 2), 1.0 / rest, 0.0)
    np.fill_diagonal(inv, 0.0)
    return inv


def pair_updates(reps: int, steps: int, n: int) -> int:
    return reps * steps * n * (n - 1)


def best_time(fn, repeat: int):
    """(best wall seconds, last result) over `repeat` calls."""
    best, result = math.inf, None
    for _ in range(max(1, repeat)):
        clock = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - clock)
    return best, result


# ----------------------------------------------------------------------------------------
# the kernel, through sim.model.ensemble.simulate


def run_kernel(inp: dict, bins: int, seed: int = 0, keep: int = 0, probes=None):
    from sim.model.ensemble import simulate

    kwargs = {}
    if probes is not None:
        kwargs = {"probe_step": probes[0], "probe_i": probes[1], "probe_j": probes[2]}
    return simulate(inp["alignment"], inp["capability"], inp["schedule"], inp["rates"],
                    inp["weights"], seed, quantile_bins=bins, keep=keep, agency=inp.get("agency"),
                    bounds=inp.get("bounds", bounds_form()), **kwargs)


def bounds_form() -> str:
    """The kernel's bounds form of this run (--bounds; model.bounds)."""
    return os.environ.get(BOUNDS_ENV, "tanh")


# ----------------------------------------------------------------------------------------
# baseline (a): what a Mesa user writes: each agent updates its own row in Python loops


def mesa_classes():
    import mesa

    class LoopStateAgent(mesa.Agent):
        """One state: its row of A and B as Python lists, updated in plain loops."""

        def __init__(self, model, index, capability, row, base):
            super().__init__(model)
            self.index = index
            self.capability = capability
            self.row = list(row)
            self.base = list(base)
            self.next_row = self.next_base = None

        def step(self):
            """This state's new row from everyone's current rows (applied in advance())."""
            m = self.model
            i, n, states = self.index, m.n, m.states
            lam, beta, rho, sigma, mu = m.lam, m.beta, m.rho, m.sigma, m.mu
            row, base_row = self.row, self.base
            inv_row, imp_row = m.inv_denom[i], m.impulse[i]
            new_row = [0.0] * n
            new_base = list(base_row)
            for j in range(n):
                if j == i:
                    continue
                num = 0.0
                for k in range(n):
                    other = states[k]
                    num += other.capability * row[k] * other.row[j]
                a = row[j]
                base = base_row[j]
                change = (-lam * (a - base) + beta * num * inv_row[j] + rho * (states[j].row[i] - a)
                          + imp_row[j] + sigma * m.random.gauss(0.0, 1.0))
                a = min(1.0, max(-1.0, a + change))
                new_row[j] = a
                new_base[j] = base + mu * (a - base)
            self.next_row, self.next_base = new_row, new_base

        def advance(self):
            self.row, self.base = self.next_row, self.next_base

    class LoopModel(mesa.Model):
        """One replicate; a step is every agent's step(), then every agent's advance()."""

        def __init__(self, inp, replicate, seed=0):
            super().__init__(seed=seed * 1_000_003 + replicate)
            from sim.model.params import BETA, GAIN, LAM, MU, RHO, SIGMA, SOURCE_SHARE

            rates = inp["rates"][replicate]
            self.lam, self.beta, self.rho = rates[LAM], rates[BETA], rates[RHO]
            self.sigma, self.mu = rates[SIGMA], rates[MU]
            self.gain, self.share = rates[GAIN], rates[SOURCE_SHARE]
            self.type_weight = list(inp["weights"][replicate])
            self.n = n = inp["n"]
            self.inv_denom = inverse_denominators(inp["capability"]).tolist()
            s = inp["schedule"]
            self.ptr = s.ptr[0].tolist()
            self.events = list(zip(s.target.tolist(), s.source.tolist(), s.type.tolist(),
                                   s.factor.tolist(), strict=True))
            self.t = 0
            alignment = inp["alignment"].tolist()
            self.states = [LoopStateAgent(self, i, float(inp["capability"][i]), alignment[i],
                                          alignment[i]) for i in range(n)]
            self.datacollector = mesa.DataCollector(
                model_reporters={"alignment": lambda m: [a.row for a in m.states]})
            self.datacollector.collect(self)

        def step(self):
            n = self.n
            self.impulse = [[0.0] * n for _ in range(n)]
            for target, source, kind, factor in self.events[self.ptr[self.t]:self.ptr[self.t + 1]]:
                push = self.gain * self.type_weight[kind] * 0.1 * factor
                self.impulse[target][source] += push
                self.impulse[source][target] += self.share * push
            self.agents.do("step")
            self.agents.do("advance")
            self.t += 1
            self.datacollector.collect(self)

    return LoopModel


def run_mesa(inp: dict, reps: int, steps: int, seed: int = 0):
    """The final alignment matrix of each of `reps` replicates, `steps` steps each."""
    LoopModel = mesa_classes()
    finals = []
    for r in range(reps):
        model = LoopModel(inp, r, seed)
        for _ in range(steps):
            model.step()
        finals.append([a.row for a in model.states])
    return finals


# ----------------------------------------------------------------------------------------
# baseline (b): NumPy, vectorised over replicates: arrays [R, N, N]


def run_numpy(inp: dict, steps: int, seed: int = 0, balance: str = "matmul"):
    """Mean over replicates at every date, float64[T + 1, N, N], and the final A[R, N, N]."""
    import numpy as np

    from sim.model.params import BETA, GAIN, LAM, MU, RHO, SIGMA, SOURCE_SHARE

    rng = np.random.default_rng(seed)
    n, reps = inp["n"], inp["reps"]
    rates, weights, s = inp["rates"], inp["weights"], inp["schedule"]
    col = lambda k: np.ascontiguousarray(rates[:, k]).reshape(reps, 1, 1)  # noqa: E731
    lam, beta, rho, sigma, mu = col(LAM), col(BETA), col(RHO), col(SIGMA), col(MU)
    gain, share = rates[:, GAIN], rates[:, SOURCE_SHARE]
    capability = inp["capability"]
    beta_inv = beta * inverse_denominators(capability)  # [R, N, N]
    diag = np.arange(n)
    A = np.repeat(inp["alignment"][None], reps, axis=0)
    B = A.copy()
    impulse = np.zeros((reps, n, n))
    mean = np.empty((steps + 1, n, n))
    mean[0] = A.mean(axis=0)
    for t in range(steps):
        if balance == "einsum":
            num = np.einsum("rik,k,rkj->rij", A, capability, A, optimize=False)
        else:
            num = np.matmul(A * capability, A)
        noise = rng.standard_normal((reps, n, n))
        impulse[:] = 0.0
        for m in range(s.ptr[0, t], s.ptr[0, t + 1]):
            push = gain * weights[:, s.type[m]] * (0.1 * s.factor[m])
            impulse[:, s.target[m], s.source[m]] += push
            impulse[:, s.source[m], s.target[m]] += share * push
        change = lam * (B - A)
        change += num * beta_inv
        change += rho * (A.transpose(0, 2, 1) - A)
        change += impulse
        change += sigma * noise
        change += A
        np.clip(change, -1.0, 1.0, out=change)
        change[:, diag, diag] = 0.0
        A = change
        B += mu * (A - B)
        mean[t + 1] = A.mean(axis=0)
    return mean, A


# ----------------------------------------------------------------------------------------
# child processes


def child_env(extra: dict | None = None) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(extra or {})
    return env


def run_child(cmd: list[str], env: dict, cwd: Path, log: Path | None = None) -> dict:
    """Run cmd; its wall time, exit code and output.

    Peak memory is read by the child itself (VmHWM): on Linux a child's ru_maxrss (wait4,
    RUSAGE_CHILDREN) also counts the parent's resident set at the fork, which here can be
    larger than the child's own peak."""
    clock = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, errors="replace")
    wall = time.perf_counter() - clock
    if log is not None:
        log.write_text(f"$ {' '.join(cmd)}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}")
    return {"rc": proc.returncode, "wall_s": wall, "stdout": proc.stdout, "stderr": proc.stderr}


def child_json(result: dict) -> dict:
    for line in reversed(result["stdout"].splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    tail = result["stderr"].strip().splitlines()[-3:]
    raise RuntimeError(f"child failed (exit {result['rc']}): {' | '.join(tail)}")


def vm_status(field: str) -> float:
    """A field of /proc/self/status in MB (VmHWM: peak RSS; VmRSS: RSS now)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def child_memory(args: dict) -> dict:
    import numba

    from sim.model.ensemble import simulate

    inp = make_inputs(5, args["reps"], args["steps"])
    before = vm_status("VmRSS")
    clock = time.perf_counter()
    ens = simulate(inp["alignment"], inp["capability"], inp["schedule"], inp["rates"],
                   inp["weights"], 0, bounds=bounds_form())  # 1000 quantile bins, 768 MB budget
    return {"wall_s": time.perf_counter() - clock, "rss_before_mb": before,
            "vmhwm_mb": vm_status("VmHWM"), "bins": ens.quantile_bins,
            "threads": numba.get_num_threads(), "mean_sum": float(ens.mean.sum())}


def child_hash(args: dict) -> dict:
    """Run one ensemble (probes at every date, 3 raw replicates kept) and hash every output;
    the timing is of calls after a first small one that loads the compiled kernel."""
    import numba
    import numpy as np

    inp = make_inputs(args["n"], args["reps"], args["steps"], variants=args.get("variants", 2))
    n, steps = inp["n"], inp["steps"]
    cells = [(i, j) for i in range(n) for j in range(n) if i != j][:6]
    probe_step = np.repeat(np.arange(steps + 1), len(cells))
    probe_i = np.tile([c[0] for c in cells], steps + 1)
    probe_j = np.tile([c[1] for c in cells], steps + 1)
    probes = (probe_step, probe_i, probe_j)
    small = with_reps(inp, min(2, args["reps"]))
    run_kernel(small, args["bins"], keep=1, probes=probes)
    seconds, ens = best_time(lambda: run_kernel(inp, args["bins"], keep=3, probes=probes),
                             args.get("repeat", 1))
    digest = hashlib.sha256()
    for part in (ens.mean, ens.quantiles, ens.probes, ens.raw):
        if part is not None:
            digest.update(np.ascontiguousarray(part).tobytes())
    n_variants = inp["schedule"].ptr.shape[0]
    return {"hash": digest.hexdigest()[:16], "seconds": seconds, "bins": ens.quantile_bins,
            "variants": n_variants,
            "gflop_s": 2.0 * n**3 * args["reps"] * steps * n_variants / seconds / 1e9,
            "threads": numba.get_num_threads(),
            "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default")}


def child_world(args: dict) -> dict:
    """The world's ensemble with the states acting, mean only (the default quantile_bins:
    none fit at this size), timed after a first call of two replicates that loads (or
    compiles) the kernel; the peak RSS of the whole child."""
    import numba
    import numpy as np

    from sim.model.ensemble import choose_bins

    n, reps, steps = args["n"], args["reps"], args["steps"]
    inp = acting(make_inputs(n, reps, steps))
    clock = time.perf_counter()
    run_kernel(with_reps(inp, 2), 1000)
    load_s = time.perf_counter() - clock
    clock, cpu = time.perf_counter(), time.process_time()
    ens = run_kernel(inp, 1000)
    seconds, cpu = time.perf_counter() - clock, time.process_time() - cpu
    one_bin = 3 * 1 * (steps + 1) * n**2 * 4  # choose_bins' bytes per bin of one series
    return {"seconds": seconds, "cpu_s": cpu, "first_call_s": load_s,
            "vmhwm_mb": vm_status("VmHWM"), "bins": ens.quantile_bins,
            "bins_used_of_1000": choose_bins(1000, 1, steps + 1, n, 768),
            "bins_fitting_768mb": int(768 * 2**20 // one_bin),
            "histogram_mb_at_1000_bins": 1000 * one_bin / 2**20,
            "mpu_s": pair_updates(reps, steps, n) / seconds / 1e6,
            "gflop_s": 8.0 * n**3 * reps * steps / seconds / 1e9,
            "threads": numba.get_num_threads(), "finite": bool(np.isfinite(ens.mean).all())}


CHILDREN = {"memory": child_memory, "hash": child_hash, "world": child_world}


# ----------------------------------------------------------------------------------------
# the sections


class Report:
    def __init__(self):
        self.figures: dict = {}

    def line(self, text: str = "") -> None:
        print(text, flush=True)

    def put(self, key: str, value) -> None:
        self.figures[key] = value


def section_speed(rep: Report, args, sizes: dict) -> None:
    import numpy as np

    rep.line("== 1. pair-updates per second (replicates x steps x N(N-1)) ==")
    tiny = make_inputs(5, 4, 4)
    clock = time.perf_counter()
    run_kernel(tiny, 1000)
    run_kernel(tiny, 0)
    run_kernel(acting(tiny), 0)
    compile_s = time.perf_counter() - clock
    rep.put("compile_s", compile_s)
    import numba

    rep.line(f"numba compile (or cache load) of the kernel, first call: {compile_s:.1f} s "
             f"({'repository cache' if args.use_repo_cache else 'fresh cache directory'}); "
             f"{numba.get_num_threads()} thread slots (Python threads, NUMBA_NUM_THREADS)")

    # the baselines do the kernel's arithmetic: with no noise they end where it ends
    check = make_inputs(5, 1, 240)
    quiet = dict(with_reps(check, 1, sigma=0.0), bounds="clip")  # the baselines clip
    kernel_final = run_kernel(quiet, 0, keep=1).raw[0, 0, -1]
    mesa_final = np.array(run_mesa(quiet, 1, 240)[0])
    numpy_final = run_numpy(quiet, 240)[1][0]
    dm, dn = np.abs(mesa_final - kernel_final).max(), np.abs(numpy_final - kernel_final).max()
    rep.put("baseline_max_abs_diff", {"mesa": float(dm), "numpy": float(dn)})
    rep.line(f"check, sigma=0, 5 states, 240 steps: max |A_baseline - A_kernel| at the end: "
             f"Mesa loop {dm:.1e}, NumPy {dn:.1e}")

    for n, size in sizes["cases"].items():
        reps, steps = size["reps"], size["steps"]
        inp = make_inputs(n, reps, steps)
        pu = pair_updates(reps, steps, n)
        rep.line(f"-- {n} states, {reps:,} replicates, {steps} steps "
                 f"({pu / 1e6:,.1f} M pair-updates per run)")
        rows = {}
        seconds, _ = best_time(lambda inp=inp: run_kernel(inp, 0), args.repeat)
        rows["kernel_bins0"] = {"label": "kernel, mean only (quantile_bins=0)", "seconds": seconds,
                                "mpu_s": pu / seconds / 1e6, "bins_used": 0}
        with_agents = acting(inp)
        seconds, _ = best_time(lambda inp=with_agents: run_kernel(inp, 0), args.repeat)
        rows["kernel_agents"] = {"label": "kernel, states acting, mean only", "seconds": seconds,
                                 "mpu_s": pu / seconds / 1e6, "bins_used": 0}
        first, ens = best_time(lambda inp=inp: run_kernel(inp, 1000), 1)
        used = ens.quantile_bins
        if used == 0:  # over the histogram budget: the same call as the row above
            rows["kernel_bins1000"] = dict(rows["kernel_bins0"], label="kernel, quantile_bins=1000 "
                                           "(default) -> 0 bins (= above)")
        else:
            seconds, _ = best_time(lambda inp=inp: run_kernel(inp, 1000), args.repeat - 1)
            seconds = min(first, seconds)
            rows["kernel_bins1000"] = {"label": f"kernel, quantile_bins=1000 (default) -> {used} bins",
                                       "seconds": seconds, "mpu_s": pu / seconds / 1e6, "bins_used": used}
        for balance in ("matmul", "einsum"):
            seconds, _ = best_time(lambda b=balance, inp=inp, steps=steps: run_numpy(inp, steps, balance=b),
                                     args.repeat)
            rows[f"numpy_{balance}"] = {"label": f"NumPy over replicates ({balance})",
                                        "seconds": seconds, "mpu_s": pu / seconds / 1e6}
        m_reps, m_steps = size["mesa_reps"], size["mesa_steps"]
        seconds, _ = best_time(lambda inp=inp, r=m_reps, t=m_steps: run_mesa(inp, r, t), 1)
        rows["mesa"] = {"label": f"Mesa agent loop ({m_reps} replicate(s) x {m_steps} steps)",
                        "seconds": seconds,
                        "mpu_s": pair_updates(m_reps, m_steps, n) / seconds / 1e6}
        numpy_best = max(("numpy_matmul", "numpy_einsum"), key=lambda k: rows[k]["mpu_s"])
        rows["numpy"] = rows[numpy_best]
        kernel = rows["kernel_bins0"]["mpu_s"]
        flops = 2.0 * n**3 * reps * steps
        for key in ("kernel_bins0", "kernel_agents", "kernel_bins1000", "numpy_matmul",
                    "numpy_einsum", "mesa"):
            row = rows[key]
            extra = ""
            if by_matrix_product(n) and not key.startswith("mesa"):
                row["gflop_s"] = flops / row["seconds"] / 1e9
                extra = f"  balance {row['gflop_s']:6.1f} GFLOP/s"
                if key == "kernel_agents":  # the agents' threat, loss and ties: 3 more products
                    row["gflop_s_all_products"] = 4 * row["gflop_s"]
                    extra += f", all products {row['gflop_s_all_products']:6.1f}"
            rep.line(f"  {row['label']:<58} {row['seconds']:8.3f} s  {row['mpu_s']:10.2f} M/s"
                     f"  (kernel mean-only x {kernel / row['mpu_s']:8.1f}){extra}")
        rep.put(f"speed_{n}", rows)
    peak = matmul_peak(sizes["peak"], args.repeat)
    rep.put("matmul_peak_gflop_s", peak)
    rep.line(f"-- machine matmul peak: np.dot of two {sizes['peak']}x{sizes['peak']} float64, "
             f"best of {args.repeat}: {peak:.1f} GFLOP/s")
    for n in sizes["cases"]:
        if by_matrix_product(n):
            ceiling = products_only(n, sizes["cases"][n]["reps"] * sizes["cases"][n]["steps"],
                                    args.repeat)
            rep.put(f"products_only_gflop_s_{n}", ceiling)
            rep.line(f"-- the {n}-state products alone: np.dot of {n}x{n} matrices inside the kernel's "
                     f"threads (one BLAS thread each), as many as the run does, nothing else: "
                     f"{ceiling:.1f} GFLOP/s")


def by_matrix_product(n: int) -> bool:
    """Whether the kernel computes n states' balance term as a matrix product (then its
    GFLOP/s are printed)."""
    from sim.model.params import DOT_MIN_STATES

    return n >= DOT_MIN_STATES


def products_only(n: int, count: int, repeat: int) -> float:
    """GFLOP/s of `count` products np.dot(X * w, X) of n x n matrices split over numba's
    threads as the kernel splits its replicates (one BLAS thread each): the most the kernel
    could reach if drawing the noise, the update and the sums took no time."""
    import numba
    import numpy as np

    from sim.model.ensemble import kernel_blas

    @numba.njit(parallel=True)
    def products(x, w, out, per_thread):
        for slot in numba.prange(out.shape[0]):
            scaled = x * w
            for _ in range(per_thread):
                np.dot(scaled, x, out[slot])

    threads = numba.get_num_threads()
    x = np.random.default_rng(0).uniform(-1.0, 1.0, (n, n))
    out = np.empty((threads, n, n))
    per_thread = math.ceil(count / threads)
    with kernel_blas(n):
        products(x, np.ones(n), out, 1)
        seconds, _ = best_time(lambda: products(x, np.ones(n), out, per_thread), repeat)
    return 2.0 * n**3 * per_thread * threads / seconds / 1e9


def matmul_peak(size: int, repeat: int) -> float:
    import numpy as np

    g = np.random.default_rng(0)
    x, y = g.random((size, size)), g.random((size, size))
    np.dot(x, y)
    seconds, _ = best_time(lambda: np.dot(x, y), max(3, repeat))
    return 2.0 * size**3 / seconds / 1e9


def section_world(rep: Report, args, tmp: Path, env: dict, size: dict) -> None:
    n, reps, steps = size["n"], size["reps"], size["steps"]
    rep.line(f"== 6. the world: {n} states x {reps:,} replicates x {steps} months, states acting, "
             "mean only ==")
    res = run_child([sys.executable, str(THIS), "--child", "world", "--child-args",
                     json.dumps(size)], env, ROOT, tmp / "world.log")
    out = child_json(res)
    peak = rep.figures.get("matmul_peak_gflop_s")
    floor = 8.0 * n**3 * reps * steps / peak / 1e9 if peak else None
    out.update(size, limit_s=TARGET_WORLD_S, limit_mb=TARGET_WORLD_MB, peak_floor_s=floor)
    rep.put("speed_world", out)
    rep.line(f"  wall {out['seconds']:.1f} s (limit {TARGET_WORLD_S:.0f} s"
             + (f"; 8 N^3 flops a step at this machine's matmul peak take {floor:.0f} s" if floor
                else "") + f"), {out['mpu_s']:.1f} M pair-updates/s, {out['gflop_s']:.1f} GFLOP/s "
             f"of 8 N^3 a step, {out['threads']} threads ({out['cpu_s']:.0f} s of CPU: on a busy "
             f"machine wall time / threads overstates it); first call (load or compile) "
             f"{out['first_call_s']:.1f} s")
    rep.line(f"  peak RSS {out['vmhwm_mb']:.0f} MB (limit {TARGET_WORLD_MB:.0f} MB)")
    rep.line(f"  quantile histograms: {out['bins']} bins used of the default 1000: 1000 bins of one "
             f"series take {out['histogram_mb_at_1000_bins']:,.0f} MB (12 bytes a bin and cell: "
             f"the int32 total and four threads' uint16 counts); the 768 MB budget holds "
             f"{out['bins_fitting_768mb']}" + (" (under 100: none kept)" if out["bins"] == 0 else ""))


def section_memory(rep: Report, args, tmp: Path, env: dict, reps: int) -> None:
    rep.line(f"== 2. peak memory, {reps:,} replicates, 5 states, 240 steps, default quantiles ==")
    res = run_child([sys.executable, str(THIS), "--child", "memory", "--child-args",
                     json.dumps({"reps": reps, "steps": 240})], env, ROOT, tmp / "memory.log")
    out = child_json(res)
    peak = out["vmhwm_mb"]
    rep.put("memory", {**out, "reps": reps})
    rep.line(f"  peak RSS of the child (VmHWM): {peak:.0f} MB, of which {out['rss_before_mb']:.0f} MB "
             f"after imports; {out['bins']} bins, {out['threads']} threads, {out['wall_s']:.1f} s")
    rep.line(f"  budget {MEMORY_BUDGET_MB:.0f} MB: {'within' if peak < MEMORY_BUDGET_MB else 'OVER'} "
             f"({peak / MEMORY_BUDGET_MB:.0%} of it)")


def section_scenario(rep: Report, args, tmp: Path, env: dict) -> None:
    rep.line("== 3. wall time of `python -m sim +scenario=aid_freeze` ==")
    extra = ["replicates=100"] if args.quick else []
    runs = {}
    cold_env = dict(env, NUMBA_CACHE_DIR=str(tmp / "scenario_cache"))
    plan = [("cold numba cache (compiles)", cold_env), ("warm numba cache", cold_env)]
    for k, (label, run_env) in enumerate(plan):
        out_dir = tmp / f"scenario_{k}"
        res = run_child([sys.executable, "-m", "sim", "+scenario=aid_freeze",
                         f"hydra.run.dir={out_dir}", *extra], run_env, ROOT, tmp / f"scenario_{k}.log")
        timings = {}
        summary = out_dir / "summary.json"
        if summary.is_file():
            timings = json.loads(summary.read_text()).get("timings", {})
        runs[label] = {"wall_s": res["wall_s"], "rc": res["rc"], "timings": timings}
        status = "ok" if res["rc"] == 0 else f"FAILED (exit {res['rc']}; see {tmp / f'scenario_{k}.log'})"
        inner = ", ".join(f"{key} {value:.2f} s" for key, value in timings.items())
        rep.line(f"  {label:<30} {res['wall_s']:7.1f} s wall, {status}"
                 + (f"  [summary.json timings: {inner}]" if inner else ""))
    rep.put("scenario", runs)


def section_determinism(rep: Report, args, tmp: Path, env: dict, cases: list[dict]) -> None:
    rep.line("== 4. thread determinism: same ensemble under NUMBA_NUM_THREADS=1 and 2 ==")
    results = []
    for case in cases:
        hashes = {}
        for numba_threads, blas in case["env"]:
            extra = {"NUMBA_NUM_THREADS": str(numba_threads)}
            if blas is not None:
                extra["OPENBLAS_NUM_THREADS"] = str(blas)
            res = run_child([sys.executable, str(THIS), "--child", "hash", "--child-args",
                             json.dumps(case["args"])], child_env(dict(env, **extra)), ROOT)
            out = child_json(res)
            hashes[(numba_threads, blas)] = out
        a = case["args"]
        first = hashes[case["env"][0]]
        rep.line(f"  {a['n']} states, {a['reps']} replicates, {a['steps']} steps, {first['variants']} "
                 f"variant(s), {first['bins']} bins:")
        for (t, b), o in hashes.items():
            flops = f", balance {o['gflop_s']:.1f} GFLOP/s" if by_matrix_product(a["n"]) else ""
            rep.line(f"    NUMBA_NUM_THREADS={t} OPENBLAS_NUM_THREADS={'(unset)' if b is None else b}: "
                     f"sha256 {o['hash'][:12]}, {o['seconds']:.3f} s{flops}")
        verdicts = {}
        for blas in dict.fromkeys(b for _, b in hashes):
            same = len({o["hash"] for (t, b), o in hashes.items() if b == blas}) == 1
            verdicts[f"numba threads 1 vs 2, BLAS {'unset' if blas is None else blas}"] = same
        by_blas = {b: o["hash"] for (t, b), o in hashes.items()}
        if len(by_blas) > 1:
            verdicts["BLAS threads " + " vs ".join("unset" if b is None else str(b) for b in by_blas)] = (
                len(set(by_blas.values())) == 1)
        for name, same in verdicts.items():
            rep.line(f"    {name}: {'identical' if same else 'DIFFERENT'}")
        results.append({"args": a, "verdicts": verdicts,
                        "runs": [{**o, "numba_threads": t, "blas_threads": b}
                                 for (t, b), o in hashes.items()]})
    rep.put("determinism", results)


def step_pieces(n: int, repeat: int) -> dict:
    """Milliseconds per replicate-step of each piece of the one-replicate-at-a-time kernel,
    each timed alone on one thread (the pieces are the kernel's own inline functions)."""
    import numba
    import numpy as np

    from sim.model.bundles import Events
    from sim.model.ensemble import balance_structure, inert_agency, kernel_blas
    from sim.model.kernel import (
        FLIPPED,
        IMPULSE,
        NOISE,
        PRODUCT,
        action_workspace,
        add_impulses,
        advance_replicate,
        balance_numerators,
        draw_noise,
        record_step,
        transpose_into,
        update_pairs,
        workspace,
    )
    from sim.model.rng import _candidates, stream_key

    @numba.njit
    def timed(piece, inp, A, B, G, sums, streams, steps):
        structure, rates, weights, events, agency = inp[0], inp[1], inp[2], inp[3], inp[4]
        capability, inv_denom = structure.balance_weight, structure.inv_denom
        ptr = events.ptr
        space = workspace(A.shape[3])
        work, drawn, values, miss = space.planes, space.drawn, space.values, space.miss
        acts = action_workspace(A.shape[3])
        counts = np.zeros((1, 1, 1, 1, 1), dtype=np.int32)
        given = np.empty((0, 1, 1), dtype=np.int64)
        none = np.zeros((0, 0, 0, 0, 0, 0), dtype=np.uint16)
        bounds = np.zeros((0, 0, 0, 0, 0))
        for step in range(steps):
            if piece == 0:
                draw_noise(streams, 0, work[NOISE], drawn, values, miss)
            elif piece == 1:
                balance_numerators(A[0, 0, 0], capability, work)
            elif piece == 2:
                update_pairs(A[0, 0, 0], B[0, 0, 0], A[1, 0, 0], B[1, 0, 0], work[PRODUCT],
                             work[FLIPPED], inv_denom, work[IMPULSE], work[NOISE], 0.03, 0.02, 0.05,
                             0.02, 0.003, structure.free_diagonal, structure.bounds)
            elif piece == 3:
                record_step(step % sums.shape[1], A, 1, 0, sums, none, bounds, bounds, 0)
            elif piece == 4:
                transpose_into(A[0, 0, 0], work[FLIPPED])
            elif piece == 5:
                add_impulses(work[IMPULSE], rates, weights, 0, ptr[0, step], ptr[0, step + 1], events,
                             (A[0, 0, 0], G[0, 0, 0]), (A[0, 0, 0], G[0, 0, 0]), structure,
                             agency.action_class, streams[0])
            elif piece == 6:
                start, count = streams[0], drawn.shape[0]
                for first in range(0, count, values.shape[0]):
                    _candidates(start, values, miss, min(values.shape[0], count - first))
            elif piece == 7:
                advance_replicate(A, B, G, step & 1, 1 - (step & 1), 0, 0, step, structure, rates,
                                  weights, events, agency, streams, streams, space, acts, counts,
                                  given)
                record_step(step % sums.shape[1], A, 1 - (step & 1), 0, sums, none, bounds, bounds, 0)

    steps = 240
    inp = make_inputs(n, 1, steps)
    s = inp["schedule"]
    args = (balance_structure(inp["capability"], bounds=bounds_form()), inp["rates"], inp["weights"],
            Events(s.ptr, s.target, s.source, s.type, s.factor, np.zeros(len(s.type), dtype=np.int64)),
            inert_agency(1, steps, inp["weights"].shape[1]))
    A = np.zeros((2, 1, 1, n, n))
    A[0, 0, 0] = inp["alignment"]
    B = A.copy()
    G = np.zeros((2, 1, 1, n, n))
    sums = np.zeros((1, steps + 1, n, n), dtype=np.int64)
    streams = np.array([stream_key(0, 0)], dtype=np.uint64)
    names = (DEVIATES, "balance product (scaling and dgemm)", "update of the pairs",
             "fixed-point sums", "transpose", "event impulses", COMMON_BRANCH, WHOLE_STEP)
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    out = {}
    with kernel_blas(n):
        for piece, name in enumerate(names):
            timed(piece, args, A, B, G, sums, streams, 2)
            seconds, _ = best_time(lambda p=piece: timed(p, args, A, B, G, sums, streams, steps),
                                   repeat)
            out[name] = 1e3 * seconds / steps
    numba.set_num_threads(before)
    return out


def section_pieces(rep: Report, args, n: int) -> None:
    rep.line(f"== 5. one replicate-step of {n} states, piece by piece (one thread) ==")
    pieces = step_pieces(n, args.repeat)
    rep.put(f"pieces_{n}", pieces)
    for name, ms in pieces.items():
        rep.line(f"  {name:<40} {ms:8.4f} ms")
    parts = sum(ms for name, ms in pieces.items() if name not in (COMMON_BRANCH, WHOLE_STEP))
    allowed = 2.0 * n**3 / (TARGET_200_GFLOPS * 1e9 / os.cpu_count()) * 1e3
    rep.line(f"  {'(sum of the pieces)':<40} {parts:8.4f} ms; at {TARGET_200_GFLOPS:.0f} GFLOP/s on "
             f"{os.cpu_count()} threads a step may take {allowed:.4f} ms")
    without = pieces[WHOLE_STEP] - pieces[DEVIATES]
    rep.line(f"  {'(the whole step less its deviates)':<40} {without:8.4f} ms: what one draw per "
             f"replicate-step, shared by all pairs, would leave")


def summary_table(rep: Report) -> None:
    f = rep.figures
    rep.line("== summary (ratios measured in this run) ==")
    rep.line(f"  {'measure':<52}{'measured':>12}{'target':>10}  note")

    def row(name, value, target, note=""):
        rep.line(f"  {name:<52}{value:>12}{target:>10}  {note}")

    five = f.get("speed_5")
    if five:
        k0, k1 = five["kernel_bins0"]["mpu_s"], five["kernel_bins1000"]["mpu_s"]
        mesa, npy = five["mesa"]["mpu_s"], five["numpy"]["mpu_s"]
        row("5 states kernel, mean only (M pair-upd/s)", f"{k0:.1f}", f">= {TARGET_5_MPU:.0f}",
            "met" if k0 >= TARGET_5_MPU else f"below ({k0 / TARGET_5_MPU:.0%} of target)")
        ka = five["kernel_agents"]["mpu_s"]
        row("5 states kernel, states acting, mean only", f"{ka:.1f}", f">= {TARGET_5_AGENTS_MPU:.0f}",
            ("met" if ka >= TARGET_5_AGENTS_MPU else f"below ({ka / TARGET_5_AGENTS_MPU:.0%} of "
             "target)") + f"; {ka / k0:.0%} of the replay alone")
        row("5 states kernel, 1000-bin quantiles", f"{k1:.1f}", f">= {TARGET_5_MPU:.0f}",
            "met" if k1 >= TARGET_5_MPU else f"below ({k1 / TARGET_5_MPU:.0%} of target)")
        row("5 states Mesa agent loop", f"{mesa:.2f}", f"~{REFERENCE_MESA_MPU}",
            f"kernel/Mesa = {k0 / mesa:,.0f}x (target ratio {TARGET_5_MPU / REFERENCE_MESA_MPU:,.0f}x)")
        row("5 states NumPy over replicates", f"{npy:.1f}", f"~{REFERENCE_NUMPY_MPU:.0f}",
            f"kernel/NumPy = {k0 / npy:.1f}x (target ratio {TARGET_5_MPU / REFERENCE_NUMPY_MPU:.1f}x)")
    big = f.get("speed_200")
    if big:
        k = big["kernel_bins0"]
        peak = f.get("matmul_peak_gflop_s")
        alone = f.get("products_only_gflop_s_200")
        row("200 states kernel balance term (GFLOP/s)", f"{k['gflop_s']:.1f}", f">= {TARGET_200_GFLOPS:.0f}",
            ("met" if k["gflop_s"] >= TARGET_200_GFLOPS else "below")
            + (f"; {k['gflop_s'] / peak:.0%} of matmul peak {peak:.0f}" if peak else "")
            + (f"; {k['gflop_s'] / alone:.0%} of the products alone ({alone:.0f})" if alone else ""))
        acting_row = big["kernel_agents"]
        if alone:
            share = acting_row["gflop_s_all_products"] / alone
            row("200 states kernel, states acting (GFLOP/s, 8 N^3)",
                f"{acting_row['gflop_s_all_products']:.1f}",
                f">= {TARGET_200_AGENTS_SHARE * alone:.0f}",
                ("met" if share >= TARGET_200_AGENTS_SHARE else "below")
                + f"; {share:.0%} of the products alone (limit {TARGET_200_AGENTS_SHARE:.0%})")
        row("200 states kernel (M pair-upd/s)", f"{k['mpu_s']:.1f}", "",
            f"kernel/Mesa = {k['mpu_s'] / big['mesa']['mpu_s']:,.0f}x, "
            f"kernel/NumPy = {k['mpu_s'] / big['numpy']['mpu_s']:.2f}x")
    mem = f.get("memory")
    if mem:
        row(f"peak memory, {mem['reps']:,} replicates (MB)",
            f"{mem['vmhwm_mb']:.0f}", f"< {MEMORY_BUDGET_MB:.0f}",
            "met" if mem["vmhwm_mb"] < MEMORY_BUDGET_MB else "OVER")
    scen = f.get("scenario")
    if scen:
        for (label, r), limit in zip(scen.items(), (TARGET_COLD_S, TARGET_WARM_S), strict=False):
            status = "FAILED" if r["rc"] else ("met" if r["wall_s"] <= limit else "over")
            row(f"aid_freeze run, {label}", f"{r['wall_s']:.1f} s", f"<= {limit:g} s",
                f"{status} (limit on an idle machine)")
    world = f.get("speed_world")
    if world:
        floor = world.get("peak_floor_s")
        row(f"world {world['n']} x {world['reps']:,} x {world['steps']}, acting (s)",
            f"{world['seconds']:.1f}", f"<= {TARGET_WORLD_S:.0f}",
            ("met" if world["seconds"] <= TARGET_WORLD_S else "over")
            + (f"; the matmul peak's floor {floor:.0f} s ({floor / world['seconds']:.0%} of it)"
               if floor else ""))
        row("world peak memory (MB)", f"{world['vmhwm_mb']:.0f}", f"< {TARGET_WORLD_MB:.0f}",
            "met" if world["vmhwm_mb"] < TARGET_WORLD_MB else "OVER")
    for d in f.get("determinism", []):
        for name, same in d["verdicts"].items():
            if not by_matrix_product(d["args"]["n"]):
                name = name.split(", BLAS")[0]
            row(f"{d['args']['n']} states, {name}", "same bytes" if same else "DIFFERENT", "same", "")


def machine_line() -> str:
    load = os.getloadavg()
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"machine: {cpu}, {os.cpu_count()} CPUs; load average {load[0]:.2f} {load[1]:.2f} "
            f"{load[2]:.2f}; Python {platform.python_version()}")


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.bounds:
        os.environ[BOUNDS_ENV] = args.bounds
    if args.child:
        sys.path.insert(0, str(ROOT))
        print(json.dumps(CHILDREN[args.child](json.loads(args.child_args))), flush=True)
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="sim-bench-"))
    if not args.use_repo_cache:
        os.environ["NUMBA_CACHE_DIR"] = str(tmp / "numba_cache")
    sys.path.insert(0, str(ROOT))
    import numba
    import numpy as np

    sections = {int(s) for s in args.sections.split(",") if s.strip()}
    rep = Report()
    rep.line(machine_line())
    rep.line(f"numba {numba.__version__}, numpy {np.__version__}, OPENBLAS_NUM_THREADS="
             f"{os.environ.get('OPENBLAS_NUM_THREADS', '(unset)')}, "
             f"{'quick' if args.quick else 'full'} run, bounds form {bounds_form()}; temporary "
             f"files in {tmp}")
    rep.put("bounds", bounds_form())
    env = child_env({"NUMBA_CACHE_DIR": os.environ["NUMBA_CACHE_DIR"]} if not args.use_repo_cache else {})
    if args.quick:
        sizes = {"cases": {5: {"reps": 1000, "steps": 60, "mesa_reps": 5, "mesa_steps": 60},
                           200: {"reps": 2, "steps": 6, "mesa_reps": 1, "mesa_steps": 1}},
                 "peak": 1000}
        memory_reps = 10_000
        world = dict(WORLD, reps=4, steps=12)
        cases = [{"args": {"n": 5, "reps": 300, "steps": 60, "bins": 1000}, "env": [(1, None), (2, None)]},
                 {"args": {"n": 200, "reps": 2, "steps": 6, "bins": 0, "variants": 1},
                  "env": [(1, None), (2, None), (1, 1), (2, 1)]}]
    else:
        sizes = {"cases": {5: {"reps": 10_000, "steps": 240, "mesa_reps": 50, "mesa_steps": 240},
                           200: {"reps": 10, "steps": 240, "mesa_reps": 1, "mesa_steps": 3}},
                 "peak": 2000}
        memory_reps = 100_000
        world = dict(WORLD)
        cases = [{"args": {"n": 5, "reps": 5000, "steps": 240, "bins": 1000},
                  "env": [(1, None), (2, None)]},
                 {"args": {"n": 200, "reps": 10, "steps": 240, "bins": 0, "variants": 1, "repeat": 3},
                  "env": [(1, None), (2, None), (1, 1), (2, 1)]}]
    try:
        if 1 in sections:
            section_speed(rep, args, sizes)
        if 1 not in sections and sections & {2, 4}:
            from sim.model.ensemble import simulate  # noqa: F401  (compile once for the children)

            run_kernel(make_inputs(5, 4, 4), 1000)
        if 2 in sections:
            section_memory(rep, args, tmp, env, memory_reps)
        if 3 in sections:
            section_scenario(rep, args, tmp, env)
        if 4 in sections:
            section_determinism(rep, args, tmp, env, cases)
        if 5 in sections:
            section_pieces(rep, args, 200)
        if 6 in sections:
            section_world(rep, args, tmp, env, world)
        rep.line(machine_line())
        summary_table(rep)
        if args.quick:
            rep.line("(--quick: sizes too small for the targets; run without it for the figures)")
    finally:
        rep.figures["machine"] = machine_line()
        if args.json:
            args.json.write_text(json.dumps(rep.figures, indent=1, default=str))
        if not args.keep_tmp:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
