"""`python -m sim.actionfit`: the action model's rates fitted to the record
(the code is in sim.studies.calibration.actionfit)."""

from sim.studies.calibration.actionfit import main

if __name__ == "__main__":
    main()
