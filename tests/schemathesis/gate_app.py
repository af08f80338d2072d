"""The application the schemathesis gate serves.

The same app as ``wsgi:app`` but for one limit. The gate sends hundreds of
malformed ``Authorization`` headers on purpose (schemathesis checks every
operation's answer to a broken credential), all from 127.0.0.1. The product
throttles an address after 30 refused tokens in ten minutes, and once
throttled every request from it, even one with no header, is answered 429,
which schemathesis rightly reports as a wrong answer to a missing header.
Whether the gate tripped the throttle depended on how its requests fell
between gunicorn's two workers (each counts in its own memory) and on how
fast the first pass ran, so the gate failed by chance. The throttle itself is
tested in ``tests/functional`` against real Redis; here it is lifted clear of
what one gate run sends.
"""

from app import create_app

app = create_app()
app.config["LIMIT_API_TOKEN_FAILURES_IP"] = "100000 per 10 minutes"
