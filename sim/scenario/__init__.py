"""Scenario files: the format (schema), loading with `extends` and overrides, and the derivation of parameters from statements."""
