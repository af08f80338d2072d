"""The emails a case sends, rendered from the templates in ``sar_templates/letters``."""
