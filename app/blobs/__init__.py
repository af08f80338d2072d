"""Encrypted blob storage in the database: uploads, evidence, response packs."""
