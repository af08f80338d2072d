"""The processing register over the API."""
