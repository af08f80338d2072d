"""Erasure (UK GDPR Art 17): a plan per store and category, approval,
resumable execution one job per store, and the certificate."""
