"""Two-factor sign-in in Chromium: setting it up from the settings page (the QR code drawn on the server,
no script), the recovery codes shown once, and a login's second step; each page checked with axe-core,
and the setup page on a phone without sideways scrolling."""
from __future__ import annotations

import re
from datetime import UTC, datetime

import pyotp
from playwright.sync_api import expect

from tests.factories import PASSWORD, make_team, make_user
from tracker import accounts, two_factor

from .conftest import PHONE, assert_accessible, assert_no_horizontal_overflow, log_in


def test_setting_it_up_and_logging_in_with_a_code(live_server, new_context):
    with live_server.data():
        tess = make_user("Tess Totp")
        email, team_id = tess.email, make_team(tess, "Vault").team_id
    page = new_context(color_scheme="dark").new_page()
    log_in(page, email)
    page.goto("/settings")
    assert_accessible(page)
    page.get_by_role("link", name="Set up two-factor authentication").click()
    expect(page.locator("svg.qr-code")).to_be_visible()
    assert_accessible(page)
    secret = page.locator("#two-factor-secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn two-factor authentication on").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    assert_accessible(page)

    second = new_context().new_page()  # another browser: the password alone does not sign in
    second.goto("/login")
    second.get_by_label("Email").fill(email)
    second.get_by_label("Password").fill(PASSWORD)
    second.get_by_role("button", name="Log in").click()
    expect(second.get_by_role("heading", name="Enter your code")).to_be_visible()
    assert_accessible(second)
    second.get_by_label("Code").fill(pyotp.TOTP(secret).at(datetime.now(UTC), counter_offset=1))
    second.get_by_role("button", name="Log in").click()
    second.wait_for_url(lambda url: "/login" not in url)
    second.goto("/settings")
    expect(second.get_by_text(re.compile("^On since"))).to_be_visible()
    # Now the team may require it of everyone, its owner included.
    second.goto(f"/teams/{team_id}/settings")
    assert_accessible(second)
    second.get_by_label("Two-factor authentication required of").select_option("everyone")
    second.get_by_role("button", name="Save").first.click()
    expect(second.get_by_text("Team settings saved.")).to_be_visible()
    expect(second.get_by_label("Two-factor authentication required of")).to_have_value("everyone")


def test_the_setup_page_fits_a_phone(live_server, new_context):
    with live_server.data():
        email = make_user("Pia Phone").email
    page = new_context(viewport=PHONE).new_page()
    log_in(page, email)
    page.goto("/settings/two-factor")
    page.get_by_text("The setup link, to copy").click()  # open the long otpauth:// link too
    expect(page.locator("svg.qr-code")).to_be_visible()
    assert_no_horizontal_overflow(page)
    with live_server.data():  # the secret the page shows is the one kept for the account
        assert two_factor.pending_secret(accounts.find_user_by_email(email)) in page.content()
