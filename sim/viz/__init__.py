"""The browser app: a Mesa SolaraViz page over the ensemble model (needs the `viz` extra)."""
