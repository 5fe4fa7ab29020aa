"""The ensemble Mesa model: agents whose state is arrays over replications, and the weekly phases."""
