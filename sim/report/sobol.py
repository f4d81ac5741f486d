"""The Sobol sensitivity figure: first-order and total indices per output, beside the size
of the effect they apportion.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.report.style import (
    PAGE_WIDTH,
    legend_below,
    panels,
    styled,
)


def effect_sizes(samples: pd.DataFrame | None, outputs: list[str]) -> dict[str, str]:
    """'effect median m, 90% of parameter sets in [a, b]' per output of a Sobol study."""
    found = {}
    for output in outputs:
        if samples is not None and output in samples.columns:
            low, mid, high = np.quantile(samples[output], [0.05, 0.5, 0.95])
            found[output] = f"effect {mid:+.2g}, 90% of sets in [{low:+.2g}, {high:+.2g}]"
    return found


@styled
def sobol_figure(sobol: pd.DataFrame, samples: pd.DataFrame | None = None,
                 noise_share: dict | None = None) -> Figure:
    """First-order (S1) and total (ST) Sobol indices with their confidence whiskers, bounded
    to [0, 1], per output; beside each, the size of the effect they apportion (over the
    parameter sets) and the share of its variance that is replicate noise."""
    outputs = list(dict.fromkeys(sobol["output"]))
    params = list(dict.fromkeys(sobol["param"]))
    sizes = effect_sizes(samples, outputs)
    width = min(PAGE_WIDTH / 2, max(2.4, 0.3 * len(params) + 1.0))
    fig, axes = panels(len(outputs), 2, (width, 2.0), sharey=True)
    x = np.arange(len(params))
    for ax, output in zip(axes, outputs, strict=True):
        rows = sobol[sobol["output"] == output].set_index("param").reindex(params)
        for shift, index, colour, label in ((-0.2, "S1", "#4393c3", "S1 (first order)"),
                                            (0.2, "ST", "#d6604d", "ST (total)")):
            value = rows[index].clip(0, 1)
            low = (rows[index] - rows[f"{index}_conf"]).clip(0, 1)
            high = (rows[index] + rows[f"{index}_conf"]).clip(0, 1)
            ax.bar(x + shift, value, 0.4, color=colour, label=label)
            ax.errorbar(x + shift, value, yerr=[value - low, high - value], fmt="none",
                        ecolor="black", elinewidth=0.7, capsize=2)
        ax.set_ylim(0, 1.05)
        ax.set_xticks(x, params, rotation=35, ha="right", rotation_mode="anchor")
        share = (noise_share or {}).get(output)
        notes = [sizes.get(output), None if share is None else f"replicate noise {share:.0%}"]
        ax.set_title("\n".join([output, *(n for n in notes if n)]), loc="left")
    axes[0].set_ylabel("Sobol index")
    legend_below(fig, axes[0].get_legend_handles_labels()[0]
                  + [Line2D([], [], color="black", lw=0.7, label="confidence interval")])
    fig.suptitle("Sobol sensitivity indices of the effect, clipped to [0, 1]")
    return fig
