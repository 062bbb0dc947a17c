"""Built-in presets (JSON data files here) and the msgspec Structs that validate every preset."""
