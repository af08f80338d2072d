"""The right to data portability (Art 20): what it covers."""
