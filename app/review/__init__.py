"""Review of collected items: disclose, withhold or redact, with exemption codes."""
