"""Comments: Markdown, mentions that link and notify, the edit window, who may delete, watchers,
escaping, and another team's comments staying invisible."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.factories import add_to_team, login, make_task, make_team, make_user, membership, new_task_form
from tests.support import statements_for
from tracker import comments, tasks, watchers
from tracker.errors import Forbidden, Invalid, NotFound
from tracker.extensions import db
from tracker.models import Comment, Notification, utcnow

XSS = (
    '<script>alert(1)</script><img src=x onerror=alert(2)> [click](javascript:alert(3)) "quotes" & '
    "<b onclick=x>b</b>"
)


@pytest.fixture
def crew(crew):
    """The shared crew and a task of the owner's, assigned to the member."""
    task = make_task(crew["owner_m"], "Shard the sessions table", assignee_id=crew["member"].id)
    return {**crew, "task": task}


def notifications_of(user):
    return db.session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    ).all()


def test_comment_through_the_page_renders_markdown_and_shows_to_the_team(client, crew):
    login(client, crew["manager"])
    r = client.post(
        f"/tasks/{crew['task'].id}/comments", data={"body": "Use **range** partitioning, see `pg_partman`."}
    )
    assert r.status_code == 302 and "#comment-" in r.headers["Location"]
    page = client.get(f"/tasks/{crew['task'].id}").get_data(as_text=True)
    assert "<strong>range</strong>" in page and "<code>pg_partman</code>" in page
    assert "Comments (1)" in page and "Manu" in page


def test_empty_or_huge_comment_is_refused_with_a_message_and_nothing_saved(client, crew):
    login(client, crew["member"])
    r = client.post(f"/tasks/{crew['task'].id}/comments", data={"body": "   "})
    assert r.status_code == 422 and "Write something." in r.get_data(as_text=True)
    r = client.post(f"/tasks/{crew['task'].id}/comments", data={"body": "x" * 10_001})
    assert r.status_code == 422 and "at most 10000 characters" in r.get_data(as_text=True)
    assert db.session.scalar(select(Comment.id)) is None


def test_xss_in_a_comment_is_inert_on_the_page(client, crew):
    comments.add_comment(crew["member_m"], crew["task"], XSS)
    login(client, crew["owner"])
    page = client.get(f"/tasks/{crew['task'].id}").get_data(as_text=True)
    section = page[page.index('id="comments"') :]
    assert "<script>alert(1)" not in section and "onerror" not in section and "javascript:" not in section
    assert "onclick" not in section
    assert "alert(1)" not in section and "<b>b</b>" in section and '"quotes" &amp;' in section


def test_mentions_by_name_first_name_and_email_link_and_notify_only_team_members(crew):
    outsider = crew["outsider"]
    body = f"@Manu please review; cc @{crew['member'].email} and @Otto (not in the team), not ana@x.org"
    comment = comments.add_comment(crew["owner_m"], crew["task"], body)
    links = re.findall(
        r'<a class="mention" href="/teams/(\d+)/activity\?person=(\d+)"[^>]*>([^<]+)</a>', comment.body_html
    )
    assert {(int(team), int(person)) for team, person, _ in links} == {
        (crew["team_id"], crew["manager"].id),
        (crew["team_id"], crew["member"].id),
    }
    assert [n.kind for n in notifications_of(crew["manager"])] == ["mentioned"]
    # The assignee is a watcher and is mentioned: one "mentioned", no extra "commented".
    assert [n.kind for n in notifications_of(crew["member"])] == ["assigned", "mentioned"]
    assert notifications_of(outsider) == []
    assert notifications_of(crew["owner"]) == []  # the author is never notified of their own comment


def test_full_names_with_spaces_and_the_longest_match_win(app):
    ana = make_user("Ana Lima")
    anabel = make_user("Ana Belle")
    m = make_team(ana)
    add_to_team(m, anabel)
    found = comments.find_mentions("Hi @Ana Belle, and @analima. Email@ana no", [ana, anabel])
    assert [(f.user.name, "Hi @Ana Belle, and @analima. Email@ana no"[f.start : f.end]) for f in found] == [
        ("Ana Belle", "@Ana Belle"),
        ("Ana Lima", "@analima"),
    ]
    # "ana" is ambiguous as a first name: not a mention of either.
    assert comments.find_mentions("@ana there", [ana, anabel]) == []


def test_commenting_makes_you_a_watcher_and_watchers_hear_of_comments(crew):
    comments.add_comment(crew["manager_m"], crew["task"], "First!")
    assert watchers.is_watching(crew["manager"], crew["task"])
    comments.add_comment(crew["member_m"], crew["task"], "Second.")
    # Reporter (owner) and the earlier commenter (manager) are told; the author is not.
    assert [n.kind for n in notifications_of(crew["owner"])] == ["commented", "commented"]
    assert [n.kind for n in notifications_of(crew["manager"])] == ["commented"]
    assert "Mia commented on #" in notifications_of(crew["manager"])[0].summary


def test_watch_and_unwatch_buttons(client, crew):
    login(client, crew["manager"])
    page = client.get(f"/tasks/{crew['task'].id}").get_data(as_text=True)
    assert ">Watch</button>" in page
    assert client.post(f"/tasks/{crew['task'].id}/watch", data={"watch": "1"}).status_code == 302
    assert watchers.is_watching(crew["manager"], crew["task"])
    assert ">Stop watching</button>" in client.get(f"/tasks/{crew['task'].id}").get_data(as_text=True)
    client.post(f"/tasks/{crew['task'].id}/watch", data={"watch": "0"})
    assert not watchers.is_watching(crew["manager"], crew["task"])


def test_reporter_and_assignee_watch_a_new_task(crew):
    assert {u.id for u in watchers.watchers_of(crew["task"])} == {crew["owner"].id, crew["member"].id}


def test_author_edits_within_the_window_only(client, crew):
    comment = comments.add_comment(crew["member_m"], crew["task"], "Typo here")
    login(client, crew["member"])
    assert client.get(f"/comments/{comment.id}/edit").status_code == 200
    r = client.post(f"/comments/{comment.id}/edit", data={"body": "Fixed, and @Manu"})
    assert r.status_code == 302
    db.session.refresh(comment)
    assert comment.body == "Fixed, and @Manu" and comment.edited_at is not None
    assert [n.kind for n in notifications_of(crew["manager"])] == ["mentioned"]  # newly mentioned
    # Later than the window: refused, text unchanged.
    with pytest.raises(Forbidden):
        comments.edit_comment(
            crew["member_m"], comment, "Too late", now=comment.created_at + timedelta(minutes=16)
        )
    comment.created_at = utcnow() - timedelta(minutes=20)
    db.session.commit()
    assert client.get(f"/comments/{comment.id}/edit").status_code == 403
    assert client.post(f"/comments/{comment.id}/edit", data={"body": "Too late"}).status_code == 403
    db.session.refresh(comment)
    assert comment.body == "Fixed, and @Manu"


def test_only_the_author_edits_and_author_or_manager_deletes(client, crew):
    comment = comments.add_comment(crew["member_m"], crew["task"], "Mine")
    with pytest.raises(Forbidden):
        comments.edit_comment(crew["manager_m"], comment, "Not yours")
    other = make_user("Milo")
    other_m = add_to_team(crew["owner_m"], other)
    with pytest.raises(Forbidden):
        comments.delete_comment(other_m, comment)
    login(client, other)
    assert client.post(f"/comments/{comment.id}/delete").status_code == 403
    client.post("/logout")
    login(client, crew["manager"])
    assert client.post(f"/comments/{comment.id}/delete").status_code == 302
    assert db.session.get(Comment, comment.id) is None


def test_another_teams_comments_are_404(client, crew):
    comment = comments.add_comment(crew["member_m"], crew["task"], "Internal")
    login(client, crew["outsider"])
    assert client.get(f"/comments/{comment.id}/edit").status_code == 404
    assert client.post(f"/comments/{comment.id}/delete").status_code == 404
    assert client.post(f"/tasks/{crew['task'].id}/comments", data={"body": "hi"}).status_code == 404
    assert client.post(f"/tasks/{crew['task'].id}/watch", data={"watch": "1"}).status_code == 404
    with pytest.raises(NotFound):
        comments.get_comment(crew["outsider"], comment.id)
    outsider_m = membership(crew["other_team_id"], crew["outsider"])
    with pytest.raises(NotFound):
        comments.add_comment(outsider_m, crew["task"], "sneaky")


def test_comment_validation_raises_invalid_for_api_callers(crew):
    with pytest.raises(Invalid) as exc:
        comments.add_comment(crew["member_m"], crew["task"], "")
    assert "body" in exc.value.errors


def test_two_people_in_different_zones_see_the_comment_time_in_their_own_zone(client, crew):
    comment = comments.add_comment(crew["manager_m"], crew["task"], "Deploy at noon UTC")
    comment.created_at = utcnow().replace(
        year=2026, month=7, day=1, hour=12, minute=0, second=0, microsecond=0
    )
    db.session.commit()
    login(client, crew["member"])  # Asia/Tokyo, UTC+9
    tokyo = client.get(f"/tasks/{crew['task'].id}").get_data(as_text=True)
    assert "Wed 01 Jul 2026 21:00" in tokyo
    client.post("/logout")
    login(client, crew["manager"])  # America/New_York, UTC-4 in July
    new_york = client.get(f"/tasks/{crew['task'].id}").get_data(as_text=True)
    assert "Wed 01 Jul 2026 08:00" in new_york and "Deploy at noon UTC" in new_york


def test_two_people_across_time_zones_work_on_one_task(client, app):
    """Kenji in Tokyo and Nora in New York: each sees the other's comment, mention, change and the
    deadline in their own time."""
    kenji = make_user("Kenji", timezone="Asia/Tokyo")
    nora = make_user("Nora", timezone="America/New_York")
    team = make_team(kenji, "Payments")
    add_to_team(team, nora)
    login(client, kenji)
    form = new_task_form(
        title="Idempotency keys", category="server-code", priority="high", due_date="2026-12-01",
        due_time="09:00", assignee_id=str(nora.id),
    )
    r = client.post(f"/teams/{team.team_id}/tasks/new", data=form)
    assert r.status_code == 302
    task_url = r.headers["Location"]
    task_id = int(task_url.rsplit("/", 1)[1])
    client.post(f"/tasks/{task_id}/comments", data={"body": "@Nora can you take this before the freeze?"})
    client.post("/logout")

    login(client, nora)
    listing = client.get("/notifications").get_data(as_text=True)
    assert f"Kenji assigned you #{task_id} Idempotency keys" in listing
    assert f"Kenji mentioned you on #{task_id} Idempotency keys" in listing
    page = client.get(task_url).get_data(as_text=True)
    # 09:00 on 1 Dec in Tokyo is 19:00 on 30 Nov in New York.
    assert "30 Nov 19:00" in page and "@Nora</a> can you take this" in page
    client.post(f"/tasks/{task_id}/comments", data={"body": "Yes, @Kenji. Moving it to in progress."})
    task, nora_m = tasks.get_task(nora, task_id)
    tasks.update_task(nora_m, task, {"status": "in_progress"})
    client.post("/logout")

    login(client, kenji)
    kinds = [n.kind for n in db.session.scalars(select(Notification).where(Notification.user_id == kenji.id))]
    assert sorted(kinds) == ["mentioned", "status_changed"]
    page = client.get(task_url).get_data(as_text=True)
    assert "01 Dec 09:00" in page and 'Yes, <a class="mention"' in page
    assert "Nora</strong> changed the status from todo to in progress" in page


def test_task_page_queries_do_not_grow_with_comments_and_history(client, crew):
    login(client, crew["member"])
    page = f"/tasks/{crew['task'].id}"
    comments.add_comment(crew["owner_m"], crew["task"], "One @Mia")
    few = statements_for(client.get, page)
    for i in range(8):
        member = (crew["owner_m"], crew["manager_m"], crew["member_m"])[i % 3]
        comments.add_comment(member, crew["task"], f"Note {i} for @Olga and @Manu")
        tasks.update_task(member, crew["task"], {"priority": ("high", "low")[i % 2]})
    assert statements_for(client.get, page) == few
