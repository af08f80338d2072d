import pytest


@pytest.fixture
def outbox_app(app):
    """The app with no SMTP server and jobs inline: mail stays in the outbox."""
    app.config["SMTP_URL"] = None
    app.config["REDIS_URL"] = None
    return app
