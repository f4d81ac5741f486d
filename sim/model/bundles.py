"""The named bundles the kernels take: numba compiles a namedtuple's fields as attributes.

Structure: the fixed arrays of a run (sim.model.ensemble.balance_structure).
    capability       float64[N]: each state's capability (the weights of threat and ties)
    balance_weight   float64[N]: the weights of the balance sum (capability, or ones when
                     canonical)
    inv_denom        float64[N, N]: the balance sum's normalisation
    threat_norm      float64[N, N]: the normalisation of the agents' threat and ties
    free_diagonal    bool: whether A[i, i] evolves (canonical balance)
    bounds           int64: sim.model.bounds.TANH, HEIDER or CLIP

Events: the recorded events of V variants over T steps (sim.model.ensemble.Schedule);
    the events of variant v in step t are ptr[v, t] .. ptr[v, t + 1] - 1 of the columns.
    ptr int64[V, T + 1]; target, source, type int64[M]; factor float64[M];
    thin int64[M]: 1 for a recorded choice a counterfactual thins.

AgencyArrays: how the states act (sim.model.ensemble.Agency).
    action_class   int64[K]: the class of each event type (sim.data.eventtypes)
    action_factor  float64[K]: the size of a chosen action of each type
    agents_from    int64[V]: the step from which the states act, per variant
    count_window   int64[2]: the steps whose choices are counted
    history        int64: the variant that replays the record

Workspace: scratch for stepping one replicate of N states (sim.model.kernel.workspace).
ActionWorkspace: scratch for the states' choice in one replicate (sim.model.kernel).
"""

from collections import namedtuple

Structure = namedtuple("Structure", "capability balance_weight inv_denom threat_norm free_diagonal "
                                    "bounds")
Events = namedtuple("Events", "ptr target source type factor thin")
AgencyArrays = namedtuple("AgencyArrays", "action_class action_factor agents_from count_window history")
Workspace = namedtuple("Workspace", "planes drawn values miss")
ActionWorkspace = namedtuple("ActionWorkspace", "planes uniforms chosen")
