"""Joining a team by invitation in Chromium: a newcomer without an account follows the link, registers with
the invited address (their browser's time zone picked for them) and lands back on the invitation; someone
signed in with another address is told so."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.factories import PASSWORD, make_team, make_user
from tracker import invitations

from .conftest import assert_accessible, log_in


def invitation_link(live_server, email: str) -> str:
    with live_server.data():
        owner = make_team(make_user("Olga Owner", timezone="Europe/Lisbon"), "Platform")
        _, token = invitations.invite(owner, email, "manager")
    return f"/invitations/{token}"


def test_a_newcomer_registers_through_the_link_in_their_own_zone_and_joins(live_server, new_context):
    link = invitation_link(live_server, "kenji@example.com")
    page = new_context(timezone_id="Asia/Tokyo").new_page()
    page.goto(link)
    expect(page.get_by_role("heading", name="Join Platform")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Register to accept").click()
    expect(page.get_by_label("Time zone")).to_have_value("Asia/Tokyo")  # the browser's, still a choice
    page.get_by_label("Email").fill("kenji@example.com")
    page.get_by_label("Name").fill("Kenji Sato")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat password").fill(PASSWORD)
    page.get_by_role("button", name="Register").click()
    expect(page).to_have_url(re.compile(re.escape(link) + "$"))
    page.get_by_role("button", name="Accept and join Platform").click()
    expect(page.get_by_text("Welcome to Platform: you joined as manager.")).to_be_visible()
    page.goto("/settings")
    expect(page.get_by_label("Time zone")).to_have_value("Asia/Tokyo")


def test_someone_signed_in_with_another_address_cannot_accept(live_server, new_context):
    link = invitation_link(live_server, "kenji@example.com")
    with live_server.data():
        other = make_user("Eve Other").email
    page = new_context().new_page()
    log_in(page, other)
    page.goto(link)
    expect(page.get_by_text("This invitation was sent to another email address")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Accept"))).to_have_count(0)
