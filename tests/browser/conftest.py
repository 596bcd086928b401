"""Browser fixtures: one headless Chromium per session (Debian's, driven by Playwright), one real HTTP
server per test module on 127.0.0.1 against a fresh database, and per-test browser contexts that
collect JavaScript console errors and page errors so that every test asserts there were none."""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.factories import PASSWORD
from tests.support import fresh_database, need, running_app

CHROMIUM = os.environ.get("TRACKER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need(False, "playwright is not installed (pip install -r requirements.txt)")
    need(os.access(CHROMIUM, os.X_OK), f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class LiveServer:
    app: object
    url: str

    def data(self):
        """An app context for arranging data with the factories of tests/factories.py."""
        return self.app.app_context()


@pytest.fixture(scope="module")
def live_server(browser, tmp_path_factory):
    """The app served by a real threaded WSGI server, with CSRF on as in production."""
    settings = {"WTF_CSRF_ENABLED": True, "LOGIN_RATE_LIMIT_IP": "10000 per minute",
                "LOGIN_RATE_LIMIT_ACCOUNT": "10000 per minute"}
    directory = tmp_path_factory.mktemp("live")
    with fresh_database(directory) as database, running_app(database, **settings) as app:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
        thread.start()
        try:
            yield LiveServer(app, f"http://127.0.0.1:{server.port}")
        finally:
            server.shutdown()
            thread.join(5)


@dataclass
class Problems:
    """JavaScript errors seen in any page of a test's browser contexts."""
    messages: list[str] = field(default_factory=list)
    allowed: list[tuple[str, str]] = field(default_factory=list)

    def allow(self, url_part: str, text_part: str) -> None:
        """An error a test provokes on purpose, e.g. a fetch answered with 409 Conflict."""
        self.allowed.append((url_part, text_part))

    def console(self, page, message) -> None:
        if message.type != "error":
            return
        source = message.location.get("url", "")
        # A page answered with 404 or 422 on purpose is logged as a failed load of the document
        # itself; the tests assert those statuses. A failed script, style or fetch is a real error.
        if message.text.startswith("Failed to load resource") and source == page.url:
            return
        if any(u in source and t in message.text for u, t in self.allowed):
            return
        self.messages.append(f"{page.url}: console error from {source or 'the page'}: {message.text}")

    def page_error(self, page, error) -> None:
        self.messages.append(f"{page.url}: uncaught {error}")


@pytest.fixture
def js_problems():
    return Problems()


@pytest.fixture
def new_context(browser, live_server, js_problems):
    """Open browser contexts (separate cookie jars: separate people) that report JavaScript errors."""
    contexts = []

    def open_context(viewport=DESKTOP, color_scheme="light", **options):
        options.setdefault("locale", "en-GB")  # day/month/year in date fields
        context = browser.new_context(base_url=live_server.url, viewport=viewport, color_scheme=color_scheme,
                                      **options)
        context.set_default_timeout(10_000)

        def watch(page):
            page.on("console", lambda message: js_problems.console(page, message))
            page.on("pageerror", lambda error: js_problems.page_error(page, error))

        context.on("page", watch)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()
    assert not js_problems.messages, "JavaScript errors:\n" + "\n".join(js_problems.messages)


@pytest.fixture
def page(new_context):
    return new_context().new_page()


def log_in(page, email: str, password: str = PASSWORD) -> None:
    """Log in through the form, as a person would."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login" not in url)


# Accessibility ---------------------------------------------------------------------------------

AXE_SCRIPT: str | None = None


def axe_source() -> str:
    global AXE_SCRIPT
    if AXE_SCRIPT is None:
        import axe_playwright_python

        AXE_SCRIPT = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
    return AXE_SCRIPT


def axe_violations(page, rules: list[str] | None = None) -> list[dict]:
    """axe-core's serious and critical violations on the current page (evaluated through the DevTools
    protocol, which the Content-Security-Policy does not block); all rules, or only the given ones."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    options = {"resultTypes": ["violations"]}
    if rules:
        options["runOnly"] = {"type": "rule", "values": rules}
    result = page.evaluate("async (options) => await axe.run(document, options)", options)
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


# What changes between the light and the dark theme; the other rules do not depend on colours.
COLOUR_RULES = ["color-contrast", "link-in-text-block"]


def assert_accessible(page, rules: list[str] | None = None) -> None:
    violations = axe_violations(page, rules)
    report = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}\n"
        + "\n".join(f"    {n['target']}: {n['html'][:160]}" for n in v["nodes"][:5])
        for v in violations
    )
    assert not violations, f"axe-core found problems on {page.url}:\n{report}"


def assert_no_horizontal_overflow(page) -> None:
    widths = page.evaluate(
        "() => ({body: document.body.scrollWidth, doc: document.documentElement.scrollWidth,"
        " viewport: window.innerWidth})"
    )
    if max(widths["body"], widths["doc"]) > widths["viewport"]:
        culprits = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
            .filter((e) => !e.parentElement
                           || e.parentElement.getBoundingClientRect().right <= window.innerWidth + 1)
            .slice(0, 5).map((e) => e.outerHTML.slice(0, 120))""")
        raise AssertionError(f"{page.url} is wider than the phone: {widths}; sticking out: {culprits}")
