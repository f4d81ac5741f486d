"""The interactive page: `python -m sim.dashboard` serves it on localhost.

`session` turns what the page asks for into a run configuration and runs it through
sim.run.run (prepare, simulate_setup), `controls` lists the parameter controls of a params
config, `figures` draws what the page shows, `app` is the Solara page itself.
"""
