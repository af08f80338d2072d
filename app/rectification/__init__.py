"""Rectification (UK GDPR Art 16): field-level corrections of the person stores."""
