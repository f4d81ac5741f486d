"""The parameter table: every rate of the model with its kernel column, default and range.

This is the one home of a parameter. The structured config (sim.config.schema.ParamsConfig)
takes its fields and defaults from here, the run's checks its ranges, the calibration's
priors must lie inside them, the page's sliders span them and the Sobol study varies over
them. A parameter row of the kernels holds PARAMETERS in order (their columns LAM, BETA,
...), then one action rate per event type.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Parameter:
    name: str
    default: float
    low: float
    high: float
    label: str  # what the value is, for a reader (the page's controls, the reports)


PARAMETERS = (
    Parameter("lam", 0.03, 0.0, 1.0, "decay toward the baseline, per month"),
    Parameter("beta", 0.02, 0.0, 1.0, "structural balance (friend of a friend), per month"),
    Parameter("rho", 0.05, 0.0, 0.5, "reciprocity, per month"),
    Parameter("sigma", 0.02, 0.0, 0.5, "noise, sd per month"),
    Parameter("mu", 0.003, 0.0, 1.0, "institutionalisation of the baseline, per month"),
    Parameter("gain", 0.05, 0.0, 1.0, "alignment moved by an event of weight 10"),
    Parameter("source_share", 0.4, 0.0, 1.0, "share of an event's move felt by its source"),
    Parameter("affinity", 0.0, 0.0, 10.0, "states act toward those they align with"),
    Parameter("tit_for_tat", 0.0, 0.0, 50.0, "states answer what they lately received"),
    Parameter("balancing", 0.0, 0.0, 50.0, "security cooperation against a capable rival"),
    Parameter("substitution", 0.0, 0.0, 50.0, "turning to a withdrawing partner's rivals"),
    Parameter("client_ties", 0.0, 0.0, 10.0, "a supplier's old clients hold back its sales"),
    Parameter("memory", 0.0, 0.0, 0.99, "memory of received impulses, kept per month"),
)
PARAM_NAMES = tuple(p.name for p in PARAMETERS)
(LAM, BETA, RHO, SIGMA, MU, GAIN, SOURCE_SHARE,
 AFFINITY, TIT_FOR_TAT, BALANCING, SUBSTITUTION, CLIENT_TIES, MEMORY) = range(len(PARAM_NAMES))
N_PARAMS = len(PARAM_NAMES)  # a row holds these, then one action rate per event type
PARAM_RANGES = {p.name: (p.low, p.high) for p in PARAMETERS}
PARAM_LABELS = {p.name: p.label for p in PARAMETERS}

ACTION_RATE_RANGE = (0.0, 0.2)  # per month and ordered pair
WEIGHT_RANGE = (-10.0, 10.0)  # the Goldstein scale
MONEY_REF_USD = 1.0e8  # the amount at which money doubles an event's impulse (sim.run.inputs)
# the SIPRI TIV (millions) at which a delivery doubles it: the median dyad-year with deliveries,
# 1950-2015 (data/measured/sipri_tiv.csv; later years are held out)
TIV_REF = 16.0

DOT_MIN_STATES = 24  # from this many states on, sums over a third state are matrix products
