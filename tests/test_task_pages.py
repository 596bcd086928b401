"""Task pages through the browser's eyes: the form's validation messages, the stale-edit conflict page,
trash and restore, deadlines shown across time zones, the filtered list and its query count."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from tests.factories import login, make_pair_and_outsider, make_task, new_task_form
from tests.support import statements_for
from tracker import tasks
from tracker.errors import Invalid
from tracker.extensions import db
from tracker.models import Task


class FormReader(HTMLParser):
    """The values a browser would submit from the page's task form (class "task-form")."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.values: dict[str, str] = {}
        self.in_form = False
        self.textarea: str | None = None
        self.select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and "task-form" in (a.get("class") or ""):
            self.in_form = True
        if not self.in_form:
            return
        if tag == "input" and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.values[a["name"]] = a.get("value") or ""
        elif tag == "textarea":
            self.textarea = a["name"]
            self.values[self.textarea] = ""
        elif tag == "select":
            self.select = a["name"]
            self.values.setdefault(self.select, "")
        elif tag == "option" and self.select and "selected" in a:
            self.values[self.select] = a.get("value") or ""

    def handle_data(self, data):
        if self.textarea:
            self.values[self.textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False
        elif tag == "textarea":
            self.textarea = None
        elif tag == "select":
            self.select = None


def read_form(page: str) -> dict[str, str]:
    reader = FormReader()
    reader.feed(page)
    description = reader.values.get("description", "")
    if description.startswith(("\r\n", "\n")):  # HTML drops a textarea's first line break
        reader.values["description"] = description.split("\n", 1)[1]
    return reader.values


def errors_of(page: str) -> list[str]:
    return re.findall(r'<p class="error" id="[^"]+">([^<]*)</p>', page)


def task_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Task))


@pytest.fixture
def crew(app):
    return make_pair_and_outsider()


# Validation through the form ------------------------------------------------------------------


def bad_inputs(crew):
    foreign = make_task(crew["x"], "Their task")
    return [
        ({"title": ""}, "Enter a title."),
        ({"title": "   "}, "Enter a title."),
        ({"category": "marketing"}, "Not a valid choice."),
        ({"estimate_hours": "-3"}, "The estimate cannot be negative."),
        ({"estimate_hours": "three"}, "Not a valid float value."),
        ({"due_date": "31/12/2026"}, "Not a valid date value."),
        ({"due_date": "2026-02-30"}, "Not a valid date value."),
        ({"due_date": "2026-12-01", "due_time": "25:00"}, "Not a valid time value."),
        ({"due_time": "17:00"}, "Enter the date as well as the time."),
        ({"title": "x" * 10_000}, "Use at most 200 characters (this has 10000)."),
        ({"blocked_by": str(foreign.id)}, f"No task of this team has number #{foreign.id}."),
        ({"blocked_by": "twelve"}, "Enter task numbers separated by commas, e.g. 12, 15."),
        ({"assignee_id": str(crew["outsider"].id)}, "Not a valid choice."),
        ({"status": "wontfix"}, "Not a valid choice."),
        ({"labels": "fine, not<fine>"}, "is not a label"),
        ({"start_date": "2026-12-05", "due_date": "2026-12-01"}, "The start date is after the deadline."),
    ]


def test_create_form_shows_each_validation_message_and_writes_nothing(client, crew):
    login(client, crew["owner"])
    url = f"/teams/{crew['team_id']}/tasks/new"
    before = task_count()
    for fields, message in bad_inputs(crew):
        response = client.post(url, data=new_task_form(**fields))
        page = response.get_data(as_text=True)
        assert response.status_code == 422, fields
        assert any(message in e for e in errors_of(page)), (fields, errors_of(page))
        assert task_count() == before + 1, fields  # only the foreign task made by bad_inputs
        before = task_count() - 1
    # What the user typed is still in the form.
    page = client.post(
        url,
        data=new_task_form(title="Keep me", description="Long **text**", estimate_hours="-1", labels="a, b"),
    ).get_data(as_text=True)
    values = read_form(page)
    assert (values["title"], values["description"], values["estimate_hours"], values["labels"]) == (
        "Keep me",
        "Long **text**",
        "-1",
        "a, b",
    )


def test_edit_form_shows_each_validation_message_and_changes_nothing(client, crew):
    task = make_task(crew["o"], "Untouched", priority="low")
    login(client, crew["owner"])
    for fields, message in bad_inputs(crew):
        response = client.post(f"/tasks/{task.id}/edit", data=new_task_form(version="1", **fields))
        assert response.status_code == 422, fields
        assert any(message in e for e in errors_of(response.get_data(as_text=True))), fields
    db.session.expire_all()
    stored = db.session.get(Task, task.id)
    assert (stored.title, stored.priority, stored.version, stored.blocked_by) == ("Untouched", "low", 1, [])


def test_create_a_task_through_the_form(client, crew):
    blocker = make_task(crew["o"], "Earlier")
    login(client, crew["owner"])
    form = read_form(
        client.get(f"/teams/{crew['team_id']}/tasks/new?category=security").get_data(as_text=True)
    )
    assert form["category"] == "security" and form["assignee_id"] == str(crew["owner"].id)
    response = client.post(
        f"/teams/{crew['team_id']}/tasks/new",
        data=new_task_form(
            title="Rotate keys",
            category="security",
            priority="high",
            estimate_hours="2.5",
            assignee_id=str(crew["mate"].id),
            labels="Ops, q4",
            blocked_by=f"#{blocker.id}",
            description="See *runbook*",
        ),
    )
    assert response.status_code == 302
    task = db.session.scalar(select(Task).where(Task.title == "Rotate keys"))
    assert response.headers["Location"] == f"/tasks/{task.id}"
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "Rotate keys" in page and "<em>runbook</em>" in page and "Mia" in page
    assert task.label_names == ["ops", "q4"] and [b.id for b in task.blocked_by] == [blocker.id]
    assert task.estimate_hours == 2.5 and task.reporter_id == crew["owner"].id


# The stale-edit conflict ----------------------------------------------------------------------


def test_two_people_edit_the_same_task_and_the_second_sees_both_versions(app, crew):
    task = make_task(crew["o"], "Original title", priority="low", labels=["a"])
    olga, mia = app.test_client(), app.test_client()
    login(olga, crew["owner"])
    login(mia, crew["mate"])
    olga_form = read_form(olga.get(f"/tasks/{task.id}/edit").get_data(as_text=True))
    mia_form = read_form(mia.get(f"/tasks/{task.id}/edit").get_data(as_text=True))
    assert olga_form["version"] == mia_form["version"] == "1"

    response = olga.post(
        f"/tasks/{task.id}/edit", data=dict(olga_form, title="Olga's title", priority="high")
    )
    assert response.status_code == 302

    mine = dict(mia_form, title="Mia's title", description="Mia's notes", labels="a, b")
    response = mia.post(f"/tasks/{task.id}/edit", data=mine)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Changed by someone else while you edited" in page
    rows = dict(
        (label, (theirs, ours))
        for label, theirs, ours in re.findall(
            r'<tr><th scope="row">([^<]+)</th><td>([^<]*)</td><td>([^<]*)</td></tr>', page
        )
    )
    assert rows["Title"] == ("Olga&#39;s title", "Mia&#39;s title")
    assert rows["Priority"] == ("high", "Low")
    assert rows["Labels"] == ("a", "a, b")
    # Mia's input is kept in the form, with the version she has now seen.
    kept = read_form(page)
    assert (kept["title"], kept["description"], kept["labels"], kept["priority"]) == (
        "Mia's title",
        "Mia's notes",
        "a, b",
        "low",
    )
    assert kept["version"] == "2"
    db.session.expire_all()
    assert db.session.get(Task, task.id).title == "Olga's title"  # nothing overwritten silently

    response = mia.post(f"/tasks/{task.id}/edit", data=kept)
    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Task, task.id)
    assert (stored.title, stored.priority, stored.description, stored.version) == (
        "Mia's title",
        "low",
        "Mia's notes",
        3,
    )


def test_saving_an_unchanged_form_changes_nothing(client, crew):
    task = make_task(
        crew["o"],
        "Steady",
        due_at=datetime(2026, 12, 1, 17, 30, 45, tzinfo=UTC),
        start_at=datetime(2026, 11, 20).date(),
        estimate_hours=3,
        labels=["x"],
    )
    login(client, crew["owner"])
    form = read_form(client.get(f"/tasks/{task.id}/edit").get_data(as_text=True))
    assert client.post(f"/tasks/{task.id}/edit", data=form).status_code == 302
    db.session.expire_all()
    stored = db.session.get(Task, task.id)
    assert stored.version == 1
    assert stored.due_at == datetime(2026, 12, 1, 17, 30, 45, tzinfo=UTC)


# Trash and restore ----------------------------------------------------------------------------


def test_delete_moves_to_the_trash_and_a_manager_restores(client, crew):
    task = make_task(crew["o"], "Short-lived")
    login(client, crew["mate"])  # a plain member may delete
    response = client.post(f"/tasks/{task.id}/delete")
    assert response.status_code == 302
    assert client.get(f"/tasks/{task.id}").status_code == 404
    assert client.get(f"/tasks/{task.id}/edit").status_code == 404
    assert "Short-lived" not in client.get(f"/teams/{crew['team_id']}/tasks").get_data(as_text=True)
    assert client.get(f"/teams/{crew['team_id']}/trash").status_code == 403
    assert client.post(f"/tasks/{task.id}/restore").status_code == 403
    client.post("/logout")

    login(client, crew["owner"])
    trash = client.get(f"/teams/{crew['team_id']}/trash").get_data(as_text=True)
    assert "Short-lived" in trash and f'action="/tasks/{task.id}/restore"' in trash
    response = client.post(f"/tasks/{task.id}/restore")
    assert response.status_code == 302 and response.headers["Location"] == f"/tasks/{task.id}"
    assert client.get(f"/tasks/{task.id}").status_code == 200
    assert "The trash is empty." in client.get(f"/teams/{crew['team_id']}/trash").get_data(as_text=True)
    assert client.post(f"/tasks/{task.id}/restore").status_code == 422  # not in the trash any more


# Deadlines across time zones ------------------------------------------------------------------


@pytest.fixture
def sione_and_kai(app, pacific):
    """Two browsers: Sione's (Tonga) and Kai's (Honolulu), signed in."""
    sione, kai = app.test_client(), app.test_client()
    login(sione, pacific["tonga"])
    login(kai, pacific["hawaii"])
    return sione, kai


def post_task(client, team_id: int, **fields) -> Task:
    """Create a task through the form, as `client`; the task as stored."""
    response = client.post(f"/teams/{team_id}/tasks/new", data=new_task_form(**fields))
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.scalar(select(Task).where(Task.title == fields["title"]))


def test_a_deadline_with_a_time_round_trips_between_tonga_and_honolulu(pacific, sione_and_kai):
    sione, kai = sione_and_kai
    task = post_task(
        sione, pacific["team_id"], title="Cut the release", due_date="2026-12-01", due_time="09:00",
        assignee_id=str(pacific["hawaii"].id),
    )
    assert task.due_at == datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
    assert "01 Dec 09:00" in sione.get(f"/tasks/{task.id}").get_data(as_text=True)
    page = kai.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "30 Nov 10:00" in page and "Pacific/Honolulu" in page
    form = read_form(kai.get(f"/tasks/{task.id}/edit").get_data(as_text=True))
    assert (form["due_date"], form["due_time"]) == ("2026-11-30", "10:00")
    # Kai moves it two hours later on his clock; Sione sees 11:00 on the 1st.
    kai.post(f"/tasks/{task.id}/edit", data=dict(form, due_time="12:00"))
    db.session.expire_all()
    assert db.session.get(Task, task.id).due_at == datetime(2026, 11, 30, 22, 0, tzinfo=UTC)
    assert "01 Dec 11:00" in sione.get(f"/tasks/{task.id}").get_data(as_text=True)


def test_a_date_alone_is_the_end_of_that_day_for_the_assignee(pacific, sione_and_kai):
    sione, kai = sione_and_kai
    kai_id, sione_id = str(pacific["hawaii"].id), str(pacific["tonga"].id)
    task = post_task(sione, pacific["team_id"], title="For Kai", due_date="2026-12-01", assignee_id=kai_id)
    assert task.due_at == datetime(2026, 12, 2, 9, 59, 59, tzinfo=UTC)  # 23:59:59 on 1 Dec in Honolulu
    assert "01 Dec 23:59" in kai.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "02 Dec 22:59" in sione.get(f"/tasks/{task.id}").get_data(as_text=True)
    task = post_task(kai, pacific["team_id"], title="For Sione", due_date="2026-12-01", assignee_id=sione_id)
    assert task.due_at == datetime(2026, 12, 1, 10, 59, 59, tzinfo=UTC)  # 23:59:59 on 1 Dec in Tonga
    assert "01 Dec 23:59" in sione.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "01 Dec 00:59" in kai.get(f"/tasks/{task.id}").get_data(as_text=True)


def test_someone_in_another_zone_saving_the_form_does_not_move_the_dates(pacific, sione_and_kai):
    sione, kai = sione_and_kai
    task = post_task(
        sione, pacific["team_id"], title="Steady", due_date="2026-12-10", start_date="2026-12-01",
        assignee_id=str(pacific["tonga"].id),
    )
    due, start = task.due_at, task.start_at
    for client in (kai, sione, kai):
        form = read_form(client.get(f"/tasks/{task.id}/edit").get_data(as_text=True))
        assert client.post(f"/tasks/{task.id}/edit", data=dict(form, title="Steady")).status_code == 302
        db.session.expire_all()
        stored = db.session.get(Task, task.id)
        assert (stored.due_at, stored.start_at, stored.version) == (due, start, 1)


# The list page --------------------------------------------------------------------------------


def row_titles(page: str) -> list[str]:
    return re.findall(r'<td><a href="/tasks/\d+">([^<]+)</a>', page)


def summary(page: str) -> str:
    return re.search(r'<p class="summary"[^>]*>([^<]+)</p>', page).group(1)


@pytest.fixture
def many(crew):
    o, owner, mate = crew["o"], crew["owner"], crew["mate"]
    now = datetime.now(UTC)
    for i in range(7):
        tasks.create_task(
            o,
            {
                "title": f"Task {i}",
                "category": "database" if i % 2 else "testing",
                "priority": ("critical", "high", "medium", "low")[i % 4],
                "status": "done" if i == 6 else "todo",
                "due_at": now + timedelta(days=i - 2, hours=1),
                "labels": ["q4"] if i < 5 else [],
                "assignee_id": (owner.id, mate.id, None)[i % 3],
            },
        )
    return crew


def test_list_filters_count_and_order_on_the_page(client, many):
    login(client, many["owner"])
    base = f"/teams/{many['team_id']}/tasks"
    cases = [
        ("", [f"Task {i}" for i in range(7)]),
        ("?status=open", [f"Task {i}" for i in range(6)]),
        ("?status=done", ["Task 6"]),
        ("?category=database", ["Task 1", "Task 3", "Task 5"]),
        ("?priority=critical", ["Task 0", "Task 4"]),
        ("?assignee=me", ["Task 0", "Task 3", "Task 6"]),
        ("?assignee=none", ["Task 2", "Task 5"]),
        (f"?assignee={many['mate'].id}", ["Task 1", "Task 4"]),
        ("?label=q4&status=open", ["Task 0", "Task 1", "Task 2", "Task 3", "Task 4"]),
        ("?overdue=true", ["Task 0", "Task 1"]),
        ("?q=task+5", ["Task 5"]),
        ("?sort=-due_at&category=testing", ["Task 6", "Task 4", "Task 2", "Task 0"]),
        ("?sort=priority&label=q4", ["Task 0", "Task 4", "Task 1", "Task 2", "Task 3"]),
        ("?sort=-priority&label=q4", ["Task 3", "Task 2", "Task 1", "Task 4", "Task 0"]),
    ]
    for query, expected in cases:
        response = client.get(base + query)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, query
        assert row_titles(page) == expected, query
        assert summary(page) == f"{len(expected)} task{'' if len(expected) == 1 else 's'}", query


def test_the_filter_state_round_trips_through_the_url_and_the_pages(client, many, app):
    app.config["TASKS_PER_PAGE"] = 2
    login(client, many["owner"])
    url = f"/teams/{many['team_id']}/tasks?status=open&label=q4&sort=-priority&q=task&category="
    seen = []
    while url:
        page = client.get(url).get_data(as_text=True)
        seen += row_titles(page)
        assert summary(page) == "5 tasks"
        # The filter form shows the state it came from.
        assert '<option value="open" selected>' in page and '<option value="-priority" selected>' in page
        assert 'name="label" value="q4"' in page and 'name="q" value="task"' in page
        match = re.search(r'<a href="([^"]+)" rel="next">', page)
        url = match.group(1).replace("&amp;", "&") if match else None
        if url:
            args = parse_qs(urlsplit(url).query)
            assert {k: v for k, v in args.items() if k != "page"} == {
                "status": ["open"],
                "label": ["q4"],
                "sort": ["-priority"],
                "q": ["task"],
            }
    assert seen == ["Task 3", "Task 2", "Task 1", "Task 4", "Task 0"]
    assert "Page 3 of 3" in page and 'rel="prev"' in page


def test_a_bad_filter_shows_a_message_and_the_unfiltered_list(client, many):
    login(client, many["owner"])
    response = client.get(f"/teams/{many['team_id']}/tasks?status=closed&sort=title")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "status: Choose one of: open, todo" in page and "sort: Sort by one of" in page
    assert summary(page) == "7 tasks"


def count_queries(client, url: str) -> int:
    client.get(url)  # warm up: nothing first-request-only may count against either size
    db.session.expire_all()  # as on a server, where each request starts with a fresh session
    return statements_for(client.get, url)


def add_tasks(crew, n: int) -> None:
    o, owner, mate = crew["o"], crew["owner"], crew["mate"]
    first = tasks.create_task(o, {"title": "Blocker", "category": "security"})
    now = datetime.now(UTC)
    for i in range(n - 1):
        tasks.create_task(
            o,
            {
                "title": f"Task {i}",
                "category": ("database", "testing", "devops")[i % 3],
                "assignee_id": (owner.id, mate.id, None)[i % 3],
                "labels": ["q4", f"l{i % 5}"],
                "due_at": now + timedelta(hours=i - 50),
                "blocked_by": [first.id] if i % 4 else [],
                "priority": ("critical", "high", "medium", "low")[i % 4],
            },
        )


@pytest.mark.parametrize("query", ["", "?status=open&sort=-priority", "?label=q4&overdue=true"])
def test_the_list_page_runs_the_same_number_of_queries_for_10_and_200_tasks(client, app, crew, query):
    app.config["TASKS_PER_PAGE"] = 200
    login(client, crew["owner"])
    url = f"/teams/{crew['team_id']}/tasks{query}"
    add_tasks(crew, 10)
    small = count_queries(client, url)
    add_tasks(crew, 190)
    large = count_queries(client, url)
    assert len(row_titles(client.get(url).get_data(as_text=True))) > 10
    assert small == large, (small, large)


def test_a_task_whose_blocker_went_to_the_trash_can_still_be_saved(client, crew):
    blocker = make_task(crew["o"], "Blocker")
    other = make_task(crew["o"], "Other")
    task = make_task(crew["o"], "Waiting", blocked_by=[blocker.id])
    login(client, crew["owner"])
    assert 'class="blocked-tag"' in client.get(f"/teams/{crew['team_id']}/tasks").get_data(as_text=True)
    tasks.move_to_trash(crew["o"], blocker)
    form = read_form(client.get(f"/tasks/{task.id}/edit").get_data(as_text=True))
    assert form["blocked_by"] == str(blocker.id)
    form["title"] = "Still waiting"
    assert client.post(f"/tasks/{task.id}/edit", data=form).status_code == 302
    # The page says where the blocker went instead of linking to a 404, and the list stops calling the
    # task blocked.
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert f'#{blocker.id} Blocker <span class="muted">(in the trash)</span>' in page
    assert f'href="/tasks/{blocker.id}"' not in page
    listing = client.get(f"/teams/{crew['team_id']}/tasks").get_data(as_text=True)
    assert 'class="blocked-tag"' not in listing
    # A new link to a trashed task is still refused; dropping the old one works.
    tasks.move_to_trash(crew["o"], other)
    response = client.post(
        f"/tasks/{task.id}/edit", data=dict(form, version="2", blocked_by=f"{blocker.id}, {other.id}")
    )
    assert f"No task of this team has number #{other.id}." in errors_of(response.get_data(as_text=True))
    assert (
        client.post(f"/tasks/{task.id}/edit", data=dict(form, version="2", blocked_by="")).status_code == 302
    )
    db.session.expire_all()
    stored = db.session.get(Task, task.id)
    assert (stored.title, stored.blocked_by, stored.version) == ("Still waiting", [], 3)


def test_editing_a_task_of_someone_who_left_keeps_the_assignment(client, crew):
    from tracker import teams

    task = make_task(crew["o"], "Mia's task", assignee_id=crew["mate"].id)
    teams.remove_member(crew["o"], crew["mate"].id)
    login(client, crew["owner"])
    page = client.get(f"/tasks/{task.id}/edit").get_data(as_text=True)
    form = read_form(page)
    assert form["assignee_id"] == str(crew["mate"].id) and "Mia (left the team)" in page
    assert client.post(f"/tasks/{task.id}/edit", data=dict(form, title="Renamed")).status_code == 302
    db.session.expire_all()
    assert (db.session.get(Task, task.id).title, db.session.get(Task, task.id).assignee_id) == (
        "Renamed",
        crew["mate"].id,
    )
    # Nobody outside the team can be newly assigned.
    other = make_task(crew["o"], "Other")
    form = read_form(client.get(f"/tasks/{other.id}/edit").get_data(as_text=True))
    response = client.post(f"/tasks/{other.id}/edit", data=dict(form, assignee_id=str(crew["mate"].id)))
    assert response.status_code == 422
    with pytest.raises(Invalid):
        tasks.update_task(crew["o"], other, {"assignee_id": crew["mate"].id})


def test_saving_a_task_that_went_to_the_trash_meanwhile_keeps_the_input(app, crew):
    task = make_task(crew["o"], "Doomed")
    olga, mia = app.test_client(), app.test_client()
    login(olga, crew["owner"])
    login(mia, crew["mate"])
    form = read_form(olga.get(f"/tasks/{task.id}/edit").get_data(as_text=True))
    assert mia.post(f"/tasks/{task.id}/delete").status_code == 302
    response = olga.post(f"/tasks/{task.id}/edit", data=dict(form, title="My careful rewrite"))
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "moved this task to the trash while you were editing" in page
    assert read_form(page)["title"] == "My careful rewrite"
    db.session.expire_all()
    stored = db.session.get(Task, task.id)
    assert stored.title == "Doomed" and stored.deleted_at is not None
    assert olga.get(f"/tasks/{task.id}/edit").status_code == 404  # a fresh edit still cannot open it


class UnlabelledFields(HTMLParser):
    """Form fields a screen reader could not name: no <label for>, no wrapping <label>, no aria-label."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fields: list[tuple[str, str | None]] = []
        self.label_for: set[str] = set()
        self.in_label = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "label":
            self.in_label += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        elif tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit", "button"):
            if not (self.in_label or a.get("aria-label") or a.get("aria-labelledby")):
                self.fields.append((a.get("name") or tag, a.get("id")))

    def handle_endtag(self, tag):
        if tag == "label":
            self.in_label -= 1

    def unlabelled(self) -> list[str]:
        return [name for name, id_ in self.fields if id_ not in self.label_for]


def test_every_field_of_the_foundation_pages_has_a_label(app, crew):
    task = make_task(crew["o"], "Labelled")
    client = app.test_client()
    for url in ("/login", "/register"):
        parser = UnlabelledFields()
        parser.feed(client.get(url).get_data(as_text=True))
        assert parser.unlabelled() == [], url
    login(client, crew["owner"])
    team = crew["team_id"]
    for url in (
        "/teams",
        f"/teams/{team}/tasks",
        f"/teams/{team}/tasks/new",
        f"/teams/{team}/members",
        f"/teams/{team}/settings",
        f"/tasks/{task.id}/edit",
        "/settings",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        parser = UnlabelledFields()
        parser.feed(response.get_data(as_text=True))
        assert parser.unlabelled() == [], url
