"""The command line (typer): one module per command, assembled in `sim.cli.main`."""
