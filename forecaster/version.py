"""The package's version: a leaf every layer may read (manifests, results, the API)."""

__version__ = "0.1.0"
