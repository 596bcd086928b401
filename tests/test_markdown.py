"""Markdown: rendering is bounded on hostile input at the maximum lengths, sanitised, still Markdown, and
done once when a description is written, never when a task is read."""

from __future__ import annotations

import time
from contextlib import contextmanager

import nh3
import pytest
from flask_migrate import downgrade, upgrade
from markdown_it import MarkdownIt
from sqlalchemy import select

from tests.factories import login, make_task, make_team, make_user
from tracker import tokens
from tracker.extensions import db
from tracker.models import Task
from tracker.tasks import update_task
from tracker.text import render_markdown
from tracker.vocabulary import COMMENT_MAX, DESCRIPTION_MAX

# A safety bound, not a benchmark: Python-Markdown took 9 s (comment) and over a minute (description)
# on several of these; the linear renderer needs well under a second. CPU time of this process, so that
# other processes on a busy machine do not make the test flaky.
BUDGET_SECONDS = 2.0


def repeat(unit: str, length: int) -> str:
    return (unit * (length // len(unit) + 1))[:length]


def deep_list(length: int) -> str:
    return repeat("".join("  " * depth + "- a\n" for depth in range(40)), length)


PATHOLOGICAL = {
    "open brackets": lambda n: "[" * n,
    "brackets with text": lambda n: repeat("[a", n),
    "image openers": lambda n: repeat("![", n),
    "nested brackets": lambda n: "[" * (n // 2) + "]" * (n // 2),
    "unclosed link targets": lambda n: repeat("[a](", n),
    "link chain": lambda n: repeat("[a](b)", n),
    "links inside a label": lambda n: "[" * (n // 3) + "a" + "](b)" * ((n - n // 3 - 1) // 4),
    "emphasis run": lambda n: repeat("*a**a", n),
    "underscore run": lambda n: repeat("_a__a", n),
    "unclosed emphasis": lambda n: repeat("*a", n),
    "mixed strong and emphasis": lambda n: repeat("**_a", n),
    "nested quotes": lambda n: "> " * (n // 2),
    "nested quote lines": lambda n: repeat("> " * 40 + "a\n", n),
    "nested list": deep_list,
    "list markers on one line": lambda n: repeat("- ", n - 1) + "a",
    "backticks": lambda n: "`" * n,
    "code span runs": lambda n: repeat("`a``", n),
    "less-than signs": lambda n: "<" * n,
    "unclosed tags": lambda n: repeat("<a", n),
    "unclosed comments": lambda n: repeat("<!--", n),
    "unclosed attribute": lambda n: "<a href='" + repeat("x ", n - 9),
    "entities": lambda n: repeat("&amp;", n),
    "entity openers": lambda n: repeat("&#", n),
    "backslashes": lambda n: "\\" * n,
    "table rows": lambda n: "| a | b |\n|---|---|\n" + repeat("| x | y |\n", n - 20),
    "fence openers": lambda n: repeat("```\n", n),
}


def cpu_seconds(action) -> tuple[float, object]:
    start = time.process_time()
    result = action()
    return time.process_time() - start, result


@pytest.mark.parametrize("length", [COMMENT_MAX, DESCRIPTION_MAX], ids=["comment", "description"])
@pytest.mark.parametrize("name", list(PATHOLOGICAL))
def test_pathological_input_at_the_maximum_length_renders_within_the_budget(name, length):
    source = PATHOLOGICAL[name](length)
    assert len(source) <= length
    seconds, html = cpu_seconds(lambda: render_markdown(source))
    assert seconds < BUDGET_SECONDS, f"{name}: {seconds:.2f} s for {len(source)} characters"
    assert "<script" not in html


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Use *emphasis* and **strong**", "<p>Use <em>emphasis</em> and <strong>strong</strong></p>"),
        ("`code` and ~~not struck~~", "<p><code>code</code> and ~~not struck~~</p>"),
        (
            "[docs](https://example.com/a?b=1 \"The docs\")",
            '<p><a href="https://example.com/a?b=1" title="The docs" rel="noopener noreferrer nofollow">'
            "docs</a></p>",
        ),
        ("- one\n- two\n\n1. first\n2. second", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n<ol>\n"
         "<li>first</li>\n<li>second</li>\n</ol>"),
        ("> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>"),
        ("## Plan", "<h2>Plan</h2>"),
        ("```sql\nselect 1 < 2;\n```", "<pre><code>select 1 &lt; 2;\n</code></pre>"),
        (
            "| Step | Owner |\n|------|-------|\n| migrate | Ana |",
            "<table>\n<thead>\n<tr>\n<th>Step</th>\n<th>Owner</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n"
            "<td>migrate</td>\n<td>Ana</td>\n</tr>\n</tbody>\n</table>",
        ),
        ("", ""),
    ],
    ids=["emphasis", "code", "link", "lists", "quote", "heading", "fenced code", "table", "empty"],
)
def test_ordinary_markdown_still_renders(source, expected):
    assert render_markdown(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("<script>alert(1)</script>after", "<p>after</p>"),
        ("<img src=x onerror=alert(1)>text", "<p>text</p>"),
        ('<p onclick="alert(1)" style="color:red">styled</p>', "<p>styled</p>"),
        ('<iframe src="https://evil.example/"></iframe>x', "<p>x</p>"),
        ("[click](javascript:alert(1))", '<p><a rel="noopener noreferrer nofollow">click</a></p>'),
        ("[click](JaVaScRiPt:alert(1))", '<p><a rel="noopener noreferrer nofollow">click</a></p>'),
        ('<a href="&#106;avascript:alert(1)">e</a>', '<p><a rel="noopener noreferrer nofollow">e</a></p>'),
        ("[data](data:text/html,<b>x</b>)", '<p><a rel="noopener noreferrer nofollow">data</a></p>'),
        ("![pic](javascript:alert(1))", ""),
        ("<div>\n\n**inside**\n\n</div>", "<p><strong>inside</strong></p>"),
        ("<b>allowed</b> <u>not</u>", "<p><b>allowed</b> not</p>"),
        ("`<script>alert(1)</script>`", "<p><code>&lt;script&gt;alert(1)&lt;/script&gt;</code></p>"),
    ],
    ids=["script", "img", "attributes", "iframe", "javascript link", "mixed case", "entity scheme",
         "data link", "image", "block html", "allowed tag", "code span"],
)
def test_raw_html_and_dangerous_links_are_sanitised(source, expected):
    assert render_markdown(source) == expected


# Written once, read without rendering ---------------------------------------------------------


@contextmanager
def rendering_forbidden():
    """Inside, any Markdown rendering or sanitising fails the test: what is read must be the stored HTML."""

    def refuse(*args, **kwargs):
        pytest.fail("Markdown rendered during a read")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(MarkdownIt, "render", refuse)
        patch.setattr(MarkdownIt, "parse", refuse)
        patch.setattr(nh3, "clean", refuse)
        yield


def task_form(**fields) -> dict[str, str]:
    return {"title": "Hostile", "description": "", "category": "database", "status": "todo",
            "priority": "medium", "due_date": "", "due_time": "", "start_date": "", "estimate_hours": "",
            "assignee_id": "", "labels": "", "blocked_by": "", **fields}


HOSTILE = "[" * (DESCRIPTION_MAX // 2) + repeat("![", DESCRIPTION_MAX // 2)


def test_a_pathological_description_saves_quickly_through_the_form_and_reads_without_rendering(client, app):
    owner = make_user("Olga")
    team_id = make_team(owner).team_id
    login(client, owner)
    seconds, response = cpu_seconds(
        lambda: client.post(f"/teams/{team_id}/tasks/new", data=task_form(description=HOSTILE))
    )
    assert response.status_code == 302 and seconds < BUDGET_SECONDS
    task = db.session.scalar(select(Task).where(Task.title == "Hostile"))
    assert task.description == HOSTILE and task.description_html.startswith("<p>[[[")

    with rendering_forbidden():
        page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
        assert task.description_html in page
        listing = client.get(f"/teams/{team_id}/tasks")
        assert listing.status_code == 200 and "Hostile" in listing.get_data(as_text=True)


def test_a_pathological_description_saves_quickly_through_the_api_and_reads_without_rendering(
    client, app
):
    owner = make_user("Olga")
    team_id = make_team(owner).team_id
    headers = {"Authorization": f"Bearer {tokens.create_token(owner, 'tests')[1]}"}
    body = {"title": "Hostile", "category": "database", "description": HOSTILE}
    seconds, response = cpu_seconds(
        lambda: client.post(f"/api/v1/teams/{team_id}/tasks", json=body, headers=headers)
    )
    assert response.status_code == 201 and seconds < BUDGET_SECONDS
    created = response.get_json()
    assert created["description"] == HOSTILE and created["description_html"].startswith("<p>[[[")

    with rendering_forbidden():
        one = client.get(f"/api/v1/tasks/{created['id']}", headers=headers)
        assert one.status_code == 200 and one.get_json()["description_html"] == created["description_html"]
        listing = client.get(f"/api/v1/teams/{team_id}/tasks", headers=headers)
        assert listing.status_code == 200
        assert [t["description_html"] for t in listing.get_json()["items"]] == [created["description_html"]]


@pytest.mark.parametrize("name", ["open brackets", "image openers", "links inside a label", "emphasis run"])
def test_a_pathological_comment_saves_quickly_and_the_page_shows_it(client, app, name):
    owner = make_user("Olga")
    task = make_task(make_team(owner), "Discussed")
    login(client, owner)
    body = PATHOLOGICAL[name](COMMENT_MAX)
    seconds, response = cpu_seconds(lambda: client.post(f"/tasks/{task.id}/comments", data={"body": body}))
    assert response.status_code == 302 and seconds < BUDGET_SECONDS
    with rendering_forbidden():
        assert client.get(f"/tasks/{task.id}").status_code == 200


def test_editing_the_description_renders_it_again_and_other_edits_keep_it(client, app):
    owner = make_user("Olga")
    member = make_team(owner)
    task = make_task(member, "Docs", description="*old*")
    assert task.description_html == "<p><em>old</em></p>"
    login(client, owner)
    form = task_form(title="Docs", description="**new**", version=str(task.version))
    assert client.post(f"/tasks/{task.id}/edit", data=form).status_code == 302
    db.session.expire_all()
    task = db.session.get(Task, task.id)
    assert task.description_html == "<p><strong>new</strong></p>"
    with rendering_forbidden():  # a change that leaves the description alone does not render it
        update_task(member, task, {"title": "Docs, revised", "priority": "high"})
    assert task.description_html == "<p><strong>new</strong></p>"


def test_the_migration_fills_the_stored_html_of_existing_tasks(make_app):
    make_app(tables=False)
    upgrade()
    owner = make_user("Olga")
    member = make_team(owner)
    described = make_task(member, "Described", description="Use **keys**").id
    blank = make_task(member, "Blank").id
    db.session.remove()  # no transaction left open to hold a lock on the table (PostgreSQL)
    downgrade(revision="0003")  # as before 0004: the column does not exist
    upgrade()
    html = dict(db.session.execute(select(Task.id, Task.description_html)).all())
    assert html == {described: "<p>Use <strong>keys</strong></p>", blank: ""}
