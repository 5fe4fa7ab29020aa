"""`python -m sim` runs the command line."""

from sim.cli.main import main

# Guarded: worker processes are spawned and re-import the main module; they must not run the command again.
if __name__ == "__main__":
    main()
