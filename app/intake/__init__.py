"""The public front door: the request form, its validation, school search,
email confirmation codes and evidence uploads."""
