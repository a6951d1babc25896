"""Hall simulation and planning: a discrete-event model of a hall that emits the event contract."""
