"""`python -m sim.sensitivity`: the Sobol sensitivity study (the code is in sim.studies.sensitivity)."""

from sim.studies.sensitivity import entry

if __name__ == "__main__":
    entry()
