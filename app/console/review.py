"""Console pages for reviewing a case's collected items (app.review)."""
