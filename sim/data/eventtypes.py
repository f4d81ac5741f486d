"""Event types, their stand-in CAMEO codes and default Goldstein (1992) weights."""

# how an event type enters the states' own choice (sim.model.actions): ACTION_CLASS below
PASSIVE, COOPERATE, SECURE, SUPPLY, OPPOSE = range(5)
N_CLASSES = 5

# type -> (CAMEO code that stands for it, Goldstein weight on the -10..+10 scale)
EVENT_TYPES: dict[str, tuple[str, float]] = {
    "aid": ("071", 7.4),
    "aid_cut": ("162", -5.6),
    "arms_sale": ("072", 8.3),
    "visit": ("042", 1.9),
    "agreement": ("057", 8.0),
    "exercise": ("062", 7.4),
    "investment": ("061", 6.4),
    "hostile_statement": ("111", -2.0),
    "sanctions": ("163", -8.0),
    "downgrade": ("161", -4.0),
    "incident": ("190", -10.0),
    "support": ("051", 3.4),
}

TYPE_NAMES: tuple[str, ...] = tuple(EVENT_TYPES)
TYPE_INDEX: dict[str, int] = {name: k for k, name in enumerate(TYPE_NAMES)}
DEFAULT_WEIGHTS: dict[str, float] = {name: w for name, (_, w) in EVENT_TYPES.items()}

# US dollars; 1, 2 or 3; a number of events or mentions; SIPRI trend-indicator value (millions)
UNITS = ("usd", "level", "count", "tiv")

# how the states choose each type themselves (sim.model.actions): cooperation, security cooperation
# (also raised by a shared threat), arms supply (also held back by the supplier's ties), or
# opposition; sanctions and incidents are outside shocks only, never the agents' choice.
ACTION_CLASS: dict[str, int] = {
    "aid": COOPERATE, "aid_cut": OPPOSE, "arms_sale": SUPPLY, "visit": COOPERATE,
    "agreement": SECURE, "exercise": SECURE, "investment": COOPERATE, "hostile_statement": OPPOSE,
    "sanctions": PASSIVE, "downgrade": OPPOSE, "incident": PASSIVE, "support": COOPERATE,
}
CHOSEN_TYPES: tuple[str, ...] = tuple(name for name in TYPE_NAMES if ACTION_CLASS[name])
