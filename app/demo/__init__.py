"""Realistic synthetic school data for demos, tests and benchmarks (``flask demo seed``)."""
