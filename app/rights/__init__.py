"""Data-subject rights that run on a schedule: the retention schedule and its sweeper."""
