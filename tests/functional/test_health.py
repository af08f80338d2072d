from app import create_app
from tests.conftest import environ_for_tests

CLOSED_PORT = 9  # discard: nothing listens there on a test machine


def test_healthz_reports_ok_when_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["ok"] is True
    assert body["checks"]["database"]["ok"] is True


def test_healthz_reports_redis_when_configured(app, redis_url, tmp_path):
    environ = environ_for_tests(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, REDIS_URL=redis_url)
    response = create_app(environ).test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["checks"]["redis"] == {"ok": True}


def test_healthz_answers_503_when_redis_is_down(app, tmp_path):
    environ = environ_for_tests(
        app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, REDIS_URL=f"redis://127.0.0.1:{CLOSED_PORT}/0"
    )
    response = create_app(environ).test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["ok"] is False
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


def test_healthz_answers_503_when_database_is_down(tmp_path):
    environ = environ_for_tests(f"postgresql://nobody@127.0.0.1:{CLOSED_PORT}/none", tmp_path)
    response = create_app(environ).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"]["ok"] is False


def test_home_page_explains_the_rights(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"subject access request" in response.data
    assert b'lang="en-GB"' in response.data


def test_old_form_address_redirects_to_the_form_keeping_the_school(client):
    response = client.get("/request?organisation_id=abc")
    assert response.status_code == 301
    assert response.headers["Location"] == "/?organisation_id=abc"
