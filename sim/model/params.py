"""The columns of a parameter row, shared by the kernels and the agents' choice."""

PARAM_NAMES = ("lam", "beta", "rho", "sigma", "mu", "gain", "source_share",
               "affinity", "tit_for_tat", "balancing", "substitution", "client_ties", "memory")
(LAM, BETA, RHO, SIGMA, MU, GAIN, SOURCE_SHARE,
 AFFINITY, TIT_FOR_TAT, BALANCING, SUBSTITUTION, CLIENT_TIES, MEMORY) = range(len(PARAM_NAMES))
N_PARAMS = len(PARAM_NAMES)  # a row holds these, then one action rate per event type

DOT_MIN_STATES = 24  # from this many states on, sums over a third state are matrix products

# how an event type enters the states' own choice (sim.model.actions, sim.data.eventtypes.ACTION_CLASS)
PASSIVE, COOPERATE, SECURE, SUPPLY, OPPOSE = range(5)
N_CLASSES = 5
