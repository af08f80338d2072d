"""Art 18 restriction of a subject's records while a dispute runs, and Art 21
objections with their decisions."""
