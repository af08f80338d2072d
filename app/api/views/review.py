"""Review decisions over the API."""
