"""Property-based fuzzing of the HTML forms and query strings with hypothesis (the API has schemathesis).
The forms are found by crawling the pages of a seeded team; hypothesis keeps, drops, swaps or replaces
their fields with hostile values, and adds query arguments to every GET page. The property: only 2xx,
3xx or 4xx answers, and a refused (4xx) request leaves every table as it was."""
from __future__ import annotations

import string
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pyotp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

from tests.factories import PASSWORD, make_task, make_user
from tests.figures import report
from tests.security.world import HOOK_URL, TODAY, seed_side, sign_in, url_for_rule
from tests.snapshot import Digest, database_digest
from tests.support import fresh_database, running_app
from tracker import two_factor
from tracker.models import utcnow
from tracker.vocabulary import PRIORITIES, STATUSES, WEBHOOK_EVENTS

# Examples per form and per page (about 800 requests) and two sweeps (about 600): under a minute.
FORM_EXAMPLES, PAGE_EXAMPLES = 6, 10
SETTINGS = {"deadline": None, "database": None, "print_blob": True,
            "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
# Forms whose success may use up a seeded object or sign the owner out: the world is repaired after them.
USES_UP = ("delete", "remove", "restore", "leave", "revoke", "role", "categories", "sessions", "logout",
           "password", "login", "register")
# A failed login is counted in the database even though the answer is a refusal: that write is the point
# (and, as with every write, the data version the response cache is keyed by moves on).
COUNTED = frozenset({"login_failures", "data_version"})
WRITES_WHEN_REFUSED = {"/login": COUNTED}
# So is a wrong two-factor code, wherever it is asked for.
WRITES_WHEN_REFUSED.update({path: COUNTED for path in (
    "/login/two-factor", "/settings/two-factor/recovery-codes", "/settings/two-factor/disable")})
# Values that trip parsers: huge and negative numbers, impossible dates, odd Unicode, NUL, paths.
# The boundaries: past 32 and 64 bits, the first and last days Python knows, digits int() reads but the
# database does not. Every argument a page reads gets each of these; the fuzzing draws from all.
BOUNDARIES = [
    "-1", "2147483648", "9223372036854775808", "99999999999999999999", "1e309", "0001-01-01", "9999-12-31",
    "١٢", "\x00", "x" * 5000,
]
NASTY = st.sampled_from([
    *BOUNDARIES, "", "0", "9" * 5000, "nan", "2030-02-30", "24:00", "²", "2030-01-01T00:00", " ", "-1e309",
    "inf", "0.0000001", "2030-13-01", "23:60", "12:00:00.5", "null", "true",
    "[]", "{}", "<script>alert(1)</script>", "a\x00b", "../../etc/passwd", "%00", "\u202e", "\ud7ff",
    "\U0001f4a3", "😀" * 300, "#1, #2, 99999999999999999999", "//evil.example", "https://evil.example/",
    "\\\\evil", "javascript:alert(1)", "open", "me", "none",
])
PLAUSIBLE = st.sampled_from([
    *STATUSES, *PRIORITIES, *WEBHOOK_EVENTS, "open", "database", "matrix", "member", "manager", "owner",
    "rename", "archive", "unarchive", "list", "board", "eisenhower", "calendar", "on", "1", "2", "3", "72",
    TODAY, "2031-03-14", "09:00", "17:30", "UTC", "Europe/Lisbon", HOOK_URL, "due_at", "-priority", "title",
    "in_app", "email", "both", "dark", "light", "/my-work", "Fuzzed text",
])
VALUES = st.one_of(NASTY, NASTY, NASTY, PLAUSIBLE, st.text(max_size=40),
                   st.integers(-(2**70), 2**70).map(str), st.dates().map(str))
FILTERS = ("status", "category", "priority", "assignee", "label", "due_before", "due_after", "overdue", "q",
           "sort", "page")
QUERY_KEYS = st.one_of(st.sampled_from([
    "page", "per_page", "q", "status", "category", "priority", "assignee", "label", "due_before",
    "due_after", "overdue", "sort", "month", "week", "person", "kind", "next", "view", "ids", "unread",
]), st.text(string.ascii_lowercase + "_[].", min_size=1, max_size=12))


@dataclass(frozen=True)
class Form:
    action: str  # a path on this site
    fields: tuple[tuple[str, tuple[str, ...]], ...]  # name -> the values the page offers
    anonymous: bool
    browser: object = None  # the browser that found it, when neither the owner's nor a visitor's


class FormFinder(HTMLParser):
    """The POST forms of a page: their action and their fields with the values offered."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page, self.forms, self.current = page, [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self.current = (attrs.get("action") or self.page, {})
        elif self.current is not None and tag in ("input", "select", "textarea", "option", "button"):
            name = attrs.get("name") or (self._select if tag == "option" else None)
            if tag == "select":
                self._select = name
            if name and name != "csrf_token":
                self.current[1].setdefault(name, []).append(attrs.get("value") or "")

    _select = None

    def handle_endtag(self, tag):
        if tag == "form" and self.current is not None:
            self.forms.append(self.current)
            self.current = None


class RecordingArgs(ImmutableMultiDict):
    """Query arguments that note which names the view reads, so each page is fuzzed with its own."""

    read: set[str] = set()

    def get(self, key, default=None, type=None):
        RecordingArgs.read.add(key)
        return super().get(key, default, type)

    def __getitem__(self, key):
        RecordingArgs.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        RecordingArgs.read.add(key)
        return super().__contains__(key)


@dataclass
class Site:
    app: object
    client: object
    anonymous: object
    side: object
    forms: list[Form]
    pages: dict[str, tuple[str, ...]]  # path -> the query arguments its view reads
    dirty: bool = False
    state: Digest | None = None  # the database's digest, while known not to have changed since

    def prepare(self) -> None:
        """After a change that went through, put the seeded objects back and sign the owner in again
        (a fuzzed form may have signed out, or registered and signed in as somebody else)."""
        if self.dirty:
            self.side.repair()
            sign_in(self.client, self.side.owner)
            self.dirty, self.state = False, None


def crawl(app, client, anonymous, side) -> tuple[list[Form], dict[str, tuple[str, ...]]]:
    """Every GET page of the HTML surface (with the query arguments its view reads) and every POST form
    on them, as the owner and as a visitor."""
    app.request_class = type("Recording", (app.request_class,), {"parameter_storage_class": RecordingArgs})
    pages = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" in rule.methods and not rule.endpoint.startswith(("api", "static")):
            pages[url_for_rule(app, rule, side.params())] = set()
    forms: dict[tuple[str, bool], Form] = {}
    for who, browser in ((False, client), (True, anonymous)):
        for page in pages:
            RecordingArgs.read = set()
            response = browser.get(page)
            pages[page] |= RecordingArgs.read
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            finder = FormFinder(page)
            finder.feed(response.get_data(as_text=True))
            for action, fields in finder.forms:
                path = urlsplit(action).path
                offered = tuple((name, tuple(values)) for name, values in fields.items())
                forms.setdefault((path, who), Form(path, offered, who))
    return list(forms.values()), {page: tuple(sorted(names)) for page, names in pages.items()}


def two_factor_forms(app) -> list[Form]:
    """The forms only someone with two-factor sign-in sees (new recovery codes, turning it off), and the
    login's second step, each found and fuzzed in a browser of its own."""
    user = make_user("Two factors")
    two_factor.pending_secret(user)
    two_factor.enable(user, pyotp.TOTP(user.totp_secret).now())
    signed_in, halfway = app.test_client(), app.test_client()
    for browser in (signed_in, halfway):
        assert browser.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    code = pyotp.TOTP(user.totp_secret).at(utcnow(), counter_offset=1)
    assert signed_in.post("/login/two-factor", data={"code": code}).status_code == 302
    found = []
    for browser, page in ((signed_in, "/settings/two-factor"), (halfway, "/login/two-factor")):
        finder = FormFinder(page)
        finder.feed(browser.get(page).get_data(as_text=True))
        found += [Form(urlsplit(action).path, tuple((name, tuple(values)) for name, values in fields.items()),
                       False, browser) for action, fields in finder.forms]
    return found


def undo_forms(client, side) -> list[Form]:
    """The Undo button, shown once on the page after an action (here: a task of its own marked done)."""
    task = make_task(side.owner_membership(), "Done, then undone")
    client.post(f"/tasks/{task.id}/inline", data={"status": "done", "version": task.version})
    finder = FormFinder(f"/tasks/{task.id}")
    finder.feed(client.get(f"/tasks/{task.id}").get_data(as_text=True))
    return [Form(urlsplit(action).path, tuple((name, tuple(values)) for name, values in fields.items()), False)
            for action, fields in finder.forms if action.startswith("/undo/")]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    settings, directory = {"RATELIMIT_ENABLED": False, "DELIVERY": "cron"}, tmp_path_factory.mktemp("fuzz")
    with fresh_database(directory) as database, running_app(database, **settings) as app:
        side = seed_side("A", with_staff=True)
        client, anonymous = app.test_client(), app.test_client()
        sign_in(client, side.owner)
        forms, pages = crawl(app, client, anonymous, side)
        forms += two_factor_forms(app)
        forms += undo_forms(client, side)
        yield Site(app, client, anonymous, side, forms, pages)
        report("form fuzzing", forms=len(forms), get_pages=len(pages),
               query_arguments_read=sum(len(names) for names in pages.values()), **_figures())


_OUTCOMES: Counter = Counter()


def _figures() -> dict:
    return {f"answers_{k}": v for k, v in sorted(_OUTCOMES.items())}


def send(site: Site, browser, method: str, path: str, **request) -> None:
    """One fuzzed request, and the property: no 5xx; a refusal (4xx) wrote nothing."""
    skip = WRITES_WHEN_REFUSED.get(urlsplit(path).path, frozenset())
    before = site.state if site.state is not None and not skip else database_digest(skip)
    site.state = None  # unknown until read again
    try:
        status = browser.open(path, method=method, **request).status_code
    except Exception as exc:  # the app under test propagates its errors: each would be a 500
        raise AssertionError(f"{method} {path} {request} raised {exc!r}: a 500") from exc
    _OUTCOMES[f"{status // 100}xx"] += 1
    assert status < 500, f"{method} {path} answered {status}"
    if 400 <= status < 500:
        after = database_digest(skip)
        changed = after.changed(before)
        assert not changed, f"{method} {path} was refused with {status} but changed {changed}"
        site.state = None if skip else after
    elif method == "POST" and any(word in path for word in USES_UP):
        site.dirty = True


@st.composite
def filled_form(draw, form: Form):
    """The form with each field kept, dropped, repeated, or given another or a hostile value, and
    sometimes an extra field."""
    data = []
    for name, offered in form.fields:
        choice = draw(st.sampled_from(("keep", "keep", "drop", "other", "nasty", "twice")))
        if choice == "drop":
            continue
        value = draw(st.sampled_from(offered)) if choice == "keep" else draw(VALUES)
        data.append((name, value))
        if choice == "twice":
            data.append((name, draw(VALUES)))
    for _ in range(draw(st.integers(0, 2))):
        data.append((draw(QUERY_KEYS), draw(VALUES)))
    return data


def test_forms_were_found_for_most_post_routes(site):
    post_routes = {r.endpoint for r in site.app.url_map.iter_rules()
                   if "POST" in r.methods and not r.endpoint.startswith("api")}
    adapter = site.app.url_map.bind("localhost")
    covered = {adapter.match(form.action, method="POST")[0] for form in site.forms}
    report("form fuzzing, forms found", forms=len(site.forms), html_post_routes=len(post_routes),
           routes_with_a_form=len(covered & post_routes), without=sorted(post_routes - covered))
    assert len(covered & post_routes) >= len(post_routes) - 4, sorted(post_routes - covered)


def fuzz_form(site: Site, form: Form) -> None:
    browser = form.browser or (site.anonymous if form.anonymous else site.client)

    @settings(max_examples=FORM_EXAMPLES, **SETTINGS)
    @given(filled_form(form))
    def run(fields):
        site.prepare()
        send(site, browser, "POST", form.action, data=MultiDict(fields))

    run()


def fuzz_page(site: Site, page: str, names: tuple[str, ...]) -> None:
    # Mostly the arguments the view reads, sometimes any other.
    keys = st.one_of(st.sampled_from(names), st.sampled_from(names), QUERY_KEYS) if names else QUERY_KEYS

    @settings(max_examples=PAGE_EXAMPLES, **SETTINGS)
    @given(st.lists(st.tuples(keys, VALUES), min_size=1, max_size=4), st.booleans())
    def run(query, anonymous):
        site.prepare()
        send(site, site.anonymous if anonymous else site.client, "GET", page, query_string=query)

    run()


def test_fuzzed_forms_get_no_5xx_and_refusals_write_nothing(site):
    for form in site.forms:
        fuzz_form(site, form)


def test_fuzzed_query_strings_get_no_5xx_and_refusals_write_nothing(site):
    for page, names in site.pages.items():
        fuzz_page(site, page, names)




def test_every_argument_a_page_reads_takes_every_boundary(site):
    """A sweep beside the fuzzing: each query argument a view reads (and every filter of the task list)
    with each boundary value."""
    team = site.side.team_id
    sweeps = [(page, names) for page, names in site.pages.items() if names]
    sweeps.append((f"/teams/{team}/tasks", FILTERS))  # the board reads the same filter
    count = 0
    for page, names in sweeps:
        for name in names:
            for value in BOUNDARIES:
                site.prepare()
                send(site, site.client, "GET", page, query_string={name: value})
                count += 1
    report("form fuzzing, boundary sweep", requests=count, pages=len(sweeps))


def test_every_form_posted_empty_or_without_one_of_its_fields(site):
    """A sweep beside the fuzzing: each form with nothing in it, and with each of its fields left out
    (the rest as the page offers them)."""
    count = 0
    for form in site.forms:
        browser = form.browser or (site.anonymous if form.anonymous else site.client)
        offered = [(name, values[0]) for name, values in form.fields]
        for left_out in [None, *(name for name, _value in offered)]:
            site.prepare()
            fields = [] if left_out is None else [(n, v) for n, v in offered if n != left_out]
            send(site, browser, "POST", form.action, data=MultiDict(fields))
            count += 1
    report("form fuzzing, forms with fields left out", requests=count, forms=len(site.forms))
