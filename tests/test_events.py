"""Domain events: every change sends exactly one event of its kind, with the payload its receivers
need, inside the change's transaction (a refused change sends nothing)."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date, time

import pytest

from tests.factories import make_task, make_user
from tracker import accounts, comments, events, invitations, tasks, teams, timelog
from tracker.errors import Invalid


@contextmanager
def listening():
    """Every event sent while inside, as (event name, sender, payload)."""
    seen: list[tuple[str, object, dict]] = []
    receivers = []
    for event in events.ALL:
        def receiver(sender, _name=event.name, **payload):
            seen.append((_name, sender, payload))

        receivers.append(receiver)  # blinker holds receivers weakly: keep them alive
        event.connect(receiver)
    try:
        yield seen
    finally:
        for event, receiver in zip(events.ALL, receivers, strict=True):
            event.disconnect(receiver)


def names(seen) -> list[str]:
    return [name for name, _sender, _payload in seen]


def test_each_task_change_sends_one_event(crew):
    with listening() as seen:
        task = make_task(crew["member_m"], "Rotate keys", assignee_id=crew["manager"].id)
    assert names(seen) == ["task_created"]
    assert seen[0][1] is task and seen[0][2] == {"actor": crew["member"], "imported": False}

    with listening() as seen:
        tasks.update_task(crew["owner_m"], task, {"status": "in_progress", "priority": "high"})
    assert names(seen) == ["task_changed"]
    assert seen[0][2]["changes"] == {"status": ("todo", "in_progress"), "priority": ("medium", "high")}
    assert seen[0][2]["actor"] == crew["owner"]

    with listening() as seen:
        tasks.update_task(crew["owner_m"], task, {"priority": "high"})  # no change: no event
        tasks.move_to_trash(crew["member_m"], task)
        tasks.restore_task(crew["manager_m"], task)
    assert names(seen) == ["task_trashed", "task_restored"]


def test_a_refused_change_sends_nothing(crew):
    task = make_task(crew["member_m"])
    with listening() as seen:
        with pytest.raises(Invalid):
            tasks.update_task(crew["member_m"], task, {"status": "finished"})
        with pytest.raises(Invalid):
            tasks.create_task(crew["member_m"], {"title": "", "category": "database"})
    assert seen == []


def test_comments_and_time_send_one_event_each(crew):
    task = make_task(crew["member_m"])
    with listening() as seen:
        comment = comments.add_comment(crew["member_m"], task, "Looks good @Manu")
        comments.edit_comment(crew["member_m"], comment, "Looks good @Manu and @Olga")
        comments.delete_comment(crew["member_m"], comment)
    assert names(seen) == ["comment_added", "comment_edited", "comment_deleted"]
    assert seen[0][2]["mentioned"] == {crew["manager"].id}
    assert seen[1][2]["mentioned"] == {crew["owner"].id}  # only the newly mentioned
    assert all(sender is task for _n, sender, _p in seen)

    with listening() as seen:
        entry = timelog.log_time(crew["member_m"], task, 1.5, date.today(), "pairing")
        timelog.delete_time_entry(crew["member_m"], entry)
    assert names(seen) == ["time_logged", "time_deleted"]
    assert seen[0][2]["entry"].hours == 1.5


def test_membership_and_working_hours_send_one_event_each(crew):
    newcomer = make_user("Nia")
    team = crew["owner_m"].team
    with listening() as seen:
        invitations.accept(newcomer, invitations.invite(crew["owner_m"], newcomer.email, "member")[1])
        teams.change_role(crew["owner_m"], newcomer.id, "manager")
        teams.remove_member(crew["owner_m"], newcomer.id)
    assert names(seen) == ["member_added", "member_changed", "member_removed"]
    assert all(sender is team and payload["user_id"] == newcomer.id for _n, sender, payload in seen)
    assert seen[1][2]["old"] == "member" and seen[1][2]["new"] == "manager"

    with listening() as seen:
        accounts.update_profile(newcomer, name="Nia S.")  # the name does not move the forecast
        accounts.update_profile(newcomer, work_start=time(8), work_end=time(16))
    assert names(seen) == ["working_hours_changed"] and seen[0][1] is newcomer


def test_receivers_run_in_the_order_they_were_connected():
    event = events.Event("ordering")
    calls = []
    receivers = [lambda _s, i=i: calls.append(i) for i in range(20)]
    for receiver in receivers:
        event.connect(receiver)
    event.send(None)
    assert calls == list(range(20))
