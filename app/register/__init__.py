"""The processing register (Art 30 record) kept as data: what the letters cite."""
