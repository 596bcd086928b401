"""The colour theme switch: a form posting to /theme, kept in a cookie, rendered as <html data-theme>."""
from __future__ import annotations

import pytest


def html_tag(client, path="/login") -> str:
    body = client.get(path).get_data(as_text=True)
    return body[body.index("<html"):body.index(">", body.index("<html")) + 1]


@pytest.mark.parametrize("choice", ["light", "dark"])
def test_a_choice_is_kept_in_a_cookie_and_rendered_on_html(client, choice):
    response = client.post("/theme", data={"theme": choice, "next": "/register?x=1"})
    assert response.status_code == 302 and response.headers["Location"] == "/register?x=1"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"theme={choice};") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert html_tag(client) == f'<html lang="en" data-theme="{choice}">'
    assert f'value="{choice}" title' in client.get("/login").get_data(as_text=True)


def test_auto_forgets_the_choice_and_follows_the_device(client):
    client.post("/theme", data={"theme": "dark"})
    response = client.post("/theme", data={"theme": "auto"})
    assert "theme=;" in response.headers["Set-Cookie"]  # deleted
    assert html_tag(client) == '<html lang="en">'


def test_json_answer_for_the_script_and_errors(client):
    ok = client.post("/theme", data={"theme": "dark"}, headers={"Accept": "application/json"})
    assert ok.status_code == 200 and ok.get_json() == {"theme": "dark"}
    bad = client.post("/theme", data={"theme": "neon"}, headers={"Accept": "application/json"})
    assert bad.status_code == 400 and bad.get_json() == {"error": "Choose light, dark or auto."}
    assert "theme=" not in bad.headers.get("Set-Cookie", "")
    page = client.post("/theme", data={"theme": "neon"}, follow_redirects=True)
    assert "Choose light, dark or auto." in page.get_data(as_text=True)


def test_a_forged_cookie_value_is_ignored(client):
    client.set_cookie("theme", '"><script>alert(1)</script>')
    assert html_tag(client) == '<html lang="en">'


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_no_open_redirect(client, target):
    response = client.post("/theme", data={"theme": "dark", "next": target})
    assert response.headers["Location"] == "/"


def test_favicon_ico_leads_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response.headers["Location"] == "/static/favicon.svg"
    assert client.get("/static/favicon.svg").mimetype == "image/svg+xml"
