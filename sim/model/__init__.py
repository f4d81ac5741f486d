"""The model: arrays in, arrays out (the numba kernels, the states' choice, the Mesa twin).

Nothing here reads files or knows Hydra; `sim.run.run.run` turns a configuration into these arrays.
"""
