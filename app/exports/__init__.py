"""The response pack (PDF and machine-readable copy) and its download links."""
