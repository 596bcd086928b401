"""Data in and out in a real browser: a manager downloads the team's export, previews a Jira CSV with a
bad row, fixes the mapping by keyboard, imports it and finds the tasks in the list, then uploads the export
as a new team; the transfer pages pass axe-core in light and dark themes and fit a 375 px phone."""
from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.factories import add_to_team, make_task, make_team, make_user

from .conftest import PHONE, assert_accessible, assert_no_horizontal_overflow, log_in

# Jira's export shape; PAY-22's status is a word Jira allows and Tracker does not know.
JIRA_CSV = """Summary,Issue key,Issue id,Issue Type,Status,Priority,Assignee,Due Date,Labels,Original Estimate
Write the refunds migration,PAY-21,10121,Task,To Do,High,Mia,10/Dec/26 12:00 AM,database,7200
Review the refunds migration,PAY-22,10122,Task,Waiting for Godot,Medium,Olga,,,
"""


@pytest.fixture(scope="module")
def team(live_server):
    with live_server.data():
        olga = make_user("Olga", timezone="Europe/Lisbon")
        mia = make_user("Mia", timezone="Asia/Tokyo")
        owner = make_team(olga, "Payments")
        add_to_team(owner, mia)
        make_task(owner, "Settle the ledger", estimate_hours=2)
        return {"email": olga.email, "team": owner.team_id}


def test_a_manager_exports_previews_fixes_imports_and_restores_the_team(team, page, tmp_path):
    log_in(page, team["email"])
    page.goto(f"/teams/{team['team']}/settings")
    page.get_by_role("link", name="Export the team, or import tasks from a CSV file").click()

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the team (JSON)").click()
    export = tmp_path / download.value.suggested_filename
    download.value.save_as(export)
    assert export.name == "payments.json"
    assert "Settle the ledger" in {t["title"] for t in json.loads(export.read_text())["tasks"]}

    sheet = tmp_path / "jira.csv"
    sheet.write_text(JIRA_CSV)
    page.get_by_label("CSV file").set_input_files(sheet)
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_text("Recognised as: Jira")).to_be_visible()
    bad = page.locator("tr.has-error")
    expect(bad).to_have_count(1)
    expect(bad).to_contain_text("Review the refunds migration")
    expect(bad).to_contain_text("“Waiting for Godot” is not a status")
    expect(page.get_by_role("button", name="Import 2 task(s)")).to_have_count(0)  # nothing to import yet

    # By keyboard, through the labels: the status column left out, every row starts as "todo".
    status = page.get_by_label("Status", exact=True)
    status.focus()
    status.select_option("")
    page.get_by_role("button", name="Preview again").focus()
    page.keyboard.press("Enter")
    expect(page.locator("tr.has-error")).to_have_count(0)
    page.get_by_role("button", name="Import 2 task(s)").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".flash-success")).to_contain_text("Imported 2 task(s) from the CSV file.")
    expect(page.get_by_role("link", name="Write the refunds migration")).to_be_visible()
    expect(page.get_by_role("link", name="Review the refunds migration")).to_be_visible()

    page.goto("/teams/import")
    page.get_by_label("Export file (JSON)").set_input_files(export)
    page.get_by_role("button", name="Import").click()
    expect(page.locator(".flash-success")).to_contain_text("into the new team “Payments")
    assert f"/teams/{team['team']}/" not in page.url  # a new team, with the exported task
    expect(page.get_by_role("link", name="Settle the ledger")).to_be_visible()


@pytest.mark.parametrize(("scheme", "viewport"), [("light", None), ("dark", None), ("light", PHONE),
                                                  ("dark", PHONE)])
def test_the_transfer_pages_pass_axe_in_both_themes_and_fit_a_phone(team, new_context, tmp_path, scheme,
                                                                    viewport):
    page = new_context(color_scheme=scheme, **({"viewport": viewport} if viewport else {})).new_page()
    log_in(page, team["email"])
    sheet = tmp_path / "jira.csv"
    sheet.write_text(JIRA_CSV)
    for path in (f"/teams/{team['team']}/transfer", "/teams/import"):
        page.goto(path)
        assert_accessible(page)
        if viewport:
            assert_no_horizontal_overflow(page)
    page.goto(f"/teams/{team['team']}/transfer")
    page.get_by_label("CSV file").set_input_files(sheet)
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("tr.has-error")).to_have_count(1)  # the preview with an error shown
    assert_accessible(page)
    if viewport:
        assert_no_horizontal_overflow(page)
