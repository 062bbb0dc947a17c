"""Video Archive Tool: the headless core (state store, toolchain, operators, jobs, CLI)."""

__version__ = "0.1.0"
