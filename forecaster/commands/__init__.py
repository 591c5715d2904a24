"""The use cases, one module per command: read, fit or score, write, and return a typed
result the CLI prints from. The only layer that both trains and writes files."""
