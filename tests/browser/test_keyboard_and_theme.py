"""The keyboard: shortcuts for the common actions, every control reachable with Tab and visibly focused,
a task created and a card moved without a mouse. The theme: dark by the device's preference, or by a
switch in the header that works with and without JavaScript and is remembered by the server."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.factories import add_to_team, make_task, make_team, make_user
from tracker.extensions import db
from tracker.models import Task

from .conftest import log_in

FOCUS_STYLE = """() => {
  const e = document.activeElement;
  const s = getComputedStyle(e);
  return {tag: e.tagName, text: (e.innerText || e.value || e.name || '').trim().slice(0, 40),
          outline: s.outlineStyle, width: parseFloat(s.outlineWidth), visible: e.matches(':focus-visible'),
          color: s.outlineColor, background: getComputedStyle(document.body).backgroundColor,
          shown: e.getBoundingClientRect().width > 1 && e.getBoundingClientRect().height > 1};
}"""


@pytest.fixture(scope="module")
def team(live_server):
    with live_server.data():
        olga = make_user("Olga", timezone="Europe/Lisbon")
        owner = make_team(olga, "Backend")
        add_to_team(owner, make_user("Mia"))
        task = make_task(owner, "Add retries to the payout client", category="server-code",
                         assignee_id=olga.id)
        return {"email": olga.email, "team": owner.team_id, "task": task.id}


def test_shortcuts_go_to_the_common_places(team, page):
    log_in(page, team["email"])
    page.goto("/my-work")
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Go to the board")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    for keys, url in ((["g", "b"], f"/teams/{team['team']}/board"),
                      (["g", "c"], f"/teams/{team['team']}/calendar"),
                      (["g", "m"], "/my-work"), (["n"], f"/teams/{team['team']}/tasks/new")):
        for key in keys:
            page.keyboard.press(key)
        expect(page).to_have_url(re.compile(re.escape(url) + "$"))
        page.wait_for_load_state()  # the shortcuts module listens once the new page has loaded

    page.goto(f"/teams/{team['team']}/tasks")
    page.keyboard.press("/")
    search = page.get_by_label("Search")
    expect(search).to_be_focused()
    # While typing, letters are letters: "n" and "g b" do not leave the page.
    page.keyboard.type("gbn?")
    expect(search).to_have_value("gbn?")
    expect(page).to_have_url(re.compile(r"/tasks$"))
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_hidden()


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two CSS rgb() colours."""
    def luminance(colour: str) -> float:
        channels = [int(c) / 255 for c in re.findall(r"\d+", colour)[:3]]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


TAB_PAGES = {  # page: controls that must be among those Tab reaches
    "/teams/{team}/tasks": ("Skip to content", "Teams", "Dark", "Board", "New task", "Filter"),
    "/teams/{team}/board": ("Filter", "Move"),
    "/tasks/{task}": ("Edit", "Move to trash", "Log time", "Stop watching", "Comment"),
    "/my-work": ("Set",),
    "/settings": ("Save",),
}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", list(TAB_PAGES))
def test_tabbing_reaches_the_controls_with_a_visible_focus_ring(team, new_context, path, scheme):
    page = new_context(color_scheme=scheme).new_page()
    log_in(page, team["email"])
    page.goto(path.format(**team))
    seen = []
    for _ in range(150):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS_STYLE)
        if focus["tag"] == "BODY" or (seen and focus["text"] == "Skip to content"):
            break  # went round the whole page
        assert focus["outline"] != "none" and focus["width"] >= 2, f"no visible focus ring: {focus}"
        assert contrast(focus["color"], focus["background"]) >= 3, f"focus ring too faint: {focus}"
        assert focus["shown"], f"focus went to something invisible: {focus}"
        seen.append(focus["text"])
    assert seen[0] == "Skip to content"
    for control in TAB_PAGES[path]:
        assert any(text.startswith(control) for text in seen), f"{control!r} not reachable by Tab: {seen}"


def test_create_a_task_and_move_a_card_with_the_keyboard_alone(live_server, team, page):
    log_in(page, team["email"])
    page.goto(f"/teams/{team['team']}/tasks")
    page.keyboard.press("n")
    expect(page.get_by_label("Title")).to_be_focused()  # autofocus on the new task form
    page.keyboard.type("Keyboard-made task")
    page.keyboard.press("Enter")  # submits the form
    expect(page.get_by_role("heading", name="Keyboard-made task")).to_be_visible()

    page.goto(f"/teams/{team['team']}/board")
    move = page.get_by_label(f"Move #{team['task']} to")
    for _ in range(80):
        page.keyboard.press("Tab")
        if move.evaluate("e => e === document.activeElement"):
            break
    expect(move).to_be_focused()
    expect(move).to_be_visible()  # the keyboard form appears when it has focus
    page.keyboard.press("ArrowDown")  # todo -> in progress, as a closed select does on Linux
    if move.input_value() == "todo":
        move.select_option("in_progress")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    column = page.locator(".column[data-status='in_progress']")
    expect(column.locator(f"li[data-task-id='{team['task']}']")).to_be_visible()
    with live_server.data():
        assert db.session.get(Task, team["task"]).status == "in_progress"


def background(page) -> str:
    return page.evaluate("() => getComputedStyle(document.body).backgroundColor")


LIGHT_BG, DARK_BG = "rgb(247, 248, 250)", "rgb(15, 18, 22)"


def test_dark_theme_follows_the_device_then_the_switch(team, new_context):
    page = new_context(color_scheme="dark").new_page()
    log_in(page, team["email"])
    assert background(page) == DARK_BG
    theme = page.get_by_role("group", name="Colour theme")
    expect(theme.get_by_role("button", name="Auto")).to_have_attribute("aria-pressed", "true")

    with page.expect_response(re.compile(r"/theme$")) as saved:
        theme.get_by_role("button", name="Light").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "light")  # at once, before the answer
    assert saved.value.status == 200 and page.url.endswith("/my-work")  # no page load
    expect(theme.get_by_role("button", name="Light")).to_have_attribute("aria-pressed", "true")
    assert background(page) == LIGHT_BG
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-theme", "light")  # rendered by the server
    assert background(page) == LIGHT_BG

    page.get_by_role("group", name="Colour theme").get_by_role("button", name="Auto").click()
    expect(page.locator("html")).not_to_have_attribute("data-theme", re.compile("."))
    assert background(page) == DARK_BG


def test_theme_switch_without_javascript(team, new_context):
    page = new_context(java_script_enabled=False, color_scheme="light").new_page()
    log_in(page, team["email"])
    page.goto(f"/teams/{team['team']}/board?category=server-code")
    page.get_by_role("group", name="Colour theme").get_by_role("button", name="Dark").click()
    expect(page).to_have_url(re.compile(r"/board\?category=server-code$"))  # back where it was
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert background(page) == DARK_BG
    page.goto("/login")  # the choice is a cookie of the browser, so it holds on every page
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")


def test_theme_route_rejects_an_unknown_choice(live_server, team, page):
    log_in(page, team["email"])
    token = page.locator("form[data-theme-switch] input[name=csrf_token]").input_value()
    response = page.request.post("/theme", form={"csrf_token": token, "theme": "neon"},
                                 headers={"Accept": "application/json"})
    assert response.status == 400
    assert response.json() == {"error": "Choose light, dark or auto."}
    response = page.request.post("/theme", form={"theme": "dark"})  # no CSRF token
    assert response.status == 400
