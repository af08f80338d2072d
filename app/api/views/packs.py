"""Response packs and download links over the API."""
