"""Browser tests: the real app served over HTTP in a thread, driven by
Debian's Chromium through Playwright (browsers cannot be downloaded here, so
Playwright is pointed at the system's executable).

Outside CI a missing Chromium skips these tests; in CI
(``RIGHTSDESK_REQUIRE_SERVICES=1``) it fails them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from app.extensions import db
from app.jobs import Job, JobStatus
from app.jobs.runner import run_inline_many
from tests.conftest import environ_for_tests, service_missing

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.2 AA and everything below it.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# Nothing listens here: jobs are recorded and left queued for the test to run.
NOWHERE = "redis://127.0.0.1:1/4"

pytestmark = pytest.mark.e2e


def chromium_path() -> str | None:
    found = os.environ.get("RIGHTSDESK_CHROMIUM") or shutil.which("chromium")
    return found or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    executable = chromium_path()
    if executable is None:
        service_missing("Chromium (Debian package chromium; `make browser` installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield launched
        launched.close()


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app on http://localhost:<port>. Chromium treats localhost as a
    secure context, so the app's cookies behave as they do over HTTPS."""
    server = make_server("localhost", 0, app, threaded=True)
    base = f"http://localhost:{server.server_port}"
    app.config["RIGHTSDESK_BASE_URL"] = base
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    server.shutdown()
    thread.join(timeout=10)


# How long an action or a wait may take before the test fails. Generous: a
# machine busy with other work (valgrind, a second test run) can take
# seconds over a page that the browser, the app and the jobs share with it;
# nothing here is a measure of speed.
ACTION_TIMEOUT_MS = 30_000


@pytest.fixture
def page(browser) -> Iterator[object]:
    # bypass_csp: only so axe-core can be injected into the page; the app's
    # Content-Security-Policy itself is tested in tests/functional.
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="en-GB", bypass_csp=True)
    opened = context.new_page()
    opened.set_default_timeout(ACTION_TIMEOUT_MS)
    yield opened
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """When a browser test fails, its report says where the browser was and
    what the page said, so a failure in CI can be understood from the log."""
    report = yield
    opened = item.funcargs.get("page") if hasattr(item, "funcargs") else None
    if report.failed and call.when == "call" and opened is not None:
        try:
            text = opened.inner_text("body", timeout=2_000)
            report.sections.append(("browser page", f"{opened.url}\n\n{text[:3000]}"))
        except Exception as exc:  # the page itself may be what broke
            report.sections.append(("browser page", f"{opened.url} (text unavailable: {exc!r})"))
    return report


def screenshot(page, name: str) -> Path:
    """A full-page picture for docs/screenshots (linked from the README)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def serious_violations(page) -> list[dict]:
    """axe-core's serious and critical WCAG 2.2 AA findings on the page as it is now."""
    if not AXE.exists():
        service_missing("axe-core (npm; `make browser` installs it)")
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "at": [n["target"] for n in v["nodes"]][:5]}
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def assert_accessible(page, what: str) -> None:
    found = serious_violations(page)
    assert not found, f"{what}: {json.dumps(found, indent=1)}"


@pytest.fixture
def run_gather_jobs(request, app, smtp) -> tuple[str, Callable[..., None]]:
    """Where the jobs go when the DPO starts them (a gather, an erasure), and
    how the test then runs them (all, or the first ``max_jobs``): a ``flask
    worker --burst`` process on Redis when ``REDIS_URL`` is set, otherwise
    the runner in this process (the page cannot tell the difference: it sees
    queued work, then done work). Set ``app.config["REDIS_URL"]`` to the
    first value around the click that queues the jobs."""
    if not os.environ.get("REDIS_URL"):

        def inline(max_jobs: int | None = None) -> None:
            queued = db.session.scalars(
                select(Job.id).where(Job.status == JobStatus.QUEUED).order_by(Job.created_at, Job.id)
            ).all()
            assert queued, "no jobs were queued"
            run_inline_many(app, queued[:max_jobs])

        return NOWHERE, inline
    redis_url = request.getfixturevalue("redis_url")  # emptied for this test
    instance = Path(request.getfixturevalue("tmp_path")) / "worker"

    def burst_worker(max_jobs: int | None = None) -> None:
        env = {key: value for key, value in os.environ.items() if key != "FLASK_APP"}
        env.update(
            environ_for_tests(
                app.config["SQLALCHEMY_DATABASE_URI"],
                instance,
                REDIS_URL=redis_url,
                SMTP_URL=app.config["SMTP_URL"],
            )
        )
        env["PYTHONPATH"] = str(ROOT)
        flask = Path(sys.executable).with_name("flask")
        done = subprocess.run(
            [str(flask), "--app", "wsgi", "worker", "--burst"]
            + (["--max-jobs", str(max_jobs)] if max_jobs else []),
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr

    return redis_url, burst_worker
