"""The value types the layers hand each other and state.db stores as JSON (msgspec Structs, with
their own checks and nothing else): below both backend/media, which makes them, and backend/db,
which keeps them, so neither has to import the other (docs/layers.md)."""
