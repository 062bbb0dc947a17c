"""Operators: one registered class per archive operation, run the same from the CLI, UI and tests."""
