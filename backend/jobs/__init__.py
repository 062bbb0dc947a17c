"""The session runner: plan operators, run their units in a worker pool, log, pause and resume."""
