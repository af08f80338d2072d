"""Console pages for the processing register (admins edit it)."""
