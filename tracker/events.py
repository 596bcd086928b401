"""Domain events: what the areas that change state announce, so the areas that follow from a change
(history, watchers, notifications, email, webhooks) react without being called by name.

An event is sent by the domain function that made the change, inside its transaction and before its
commit, so whatever a receiver writes commits or rolls back with the change itself. The sender is the
object changed (a task, a team); the payload is keyword arguments named below. Receivers are
connected in one place, tracker/subscribers.py, and run in the order they were connected there.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, MutableSet
from typing import Any

from blinker import NamedSignal


class _OrderedIds(MutableSet):
    """A set that remembers insertion order: blinker calls receivers in the order of this set, and
    history must be written before the notifications that read it."""

    def __init__(self, items: Iterable[Any] = ()) -> None:
        self._items = dict.fromkeys(items)

    @classmethod
    def _from_iterable(cls, items: Iterable[Any]) -> _OrderedIds:
        return cls(items)

    def __contains__(self, item: object) -> bool:
        return item in self._items

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def add(self, item: Any) -> None:
        self._items[item] = None

    def discard(self, item: Any) -> None:
        self._items.pop(item, None)

    def copy(self) -> _OrderedIds:
        return _OrderedIds(self._items)


class Event(NamedSignal):
    """A blinker signal whose receivers run in connection order."""

    set_class = _OrderedIds


# Tasks: sender is the Task; `actor` is the User who acted.
task_created = Event(
    "task_created", doc="A task was created. Payload: actor, imported (one of many rows of an import)."
)
task_changed = Event(
    "task_changed", doc="A task's fields changed. Payload: actor, changes ({field: (old, new)}; a change of "
    "its checklist is under \"checklist\", as tracker/checklists.py describes)."
)
task_trashed = Event("task_trashed", doc="A task went to the team's trash. Payload: actor.")
task_restored = Event("task_restored", doc="A task came back from the trash. Payload: actor.")

# Comments: sender is the Task commented on.
comment_added = Event("comment_added", doc="Payload: actor, comment, mentioned (set of user ids).")
comment_edited = Event("comment_edited", doc="Payload: actor, comment, mentioned (newly mentioned ids).")
comment_deleted = Event("comment_deleted", doc="Sent before the row goes. Payload: actor, comment.")

# Time log: sender is the Task the time was logged on.
time_logged = Event("time_logged", doc="Payload: actor, entry (the TimeEntry).")
time_deleted = Event("time_deleted", doc="Sent before the row goes. Payload: actor, entry.")

# Teams: sender is the Team.
member_added = Event("member_added", doc="Payload: actor (User or None), user_id, role.")
member_changed = Event("member_changed", doc="A member's role changed. Payload: actor, user_id, old, new.")
member_removed = Event("member_removed", doc="Removed or left. Payload: actor, user_id.")

# Accounts: sender is the User.
working_hours_changed = Event(
    "working_hours_changed", doc="A person's zone, working days or hours changed. No payload."
)

# The stored forecast: sender is the Session it was recomputed in, before its commit. Not among ALL (the
# events of changes): it follows a change, once the change has committed.
forecast_refreshed = Event(
    "forecast_refreshed", doc="Stored forecasts were recomputed. Payload: team_ids (None: every team's, the "
    "periodic pass)."
)

# Features: sender is the Feature; `actor` is the User who acted.
feature_created = Event("feature_created", doc="A feature was created. Payload: actor.")
feature_changed = Event(
    "feature_changed", doc="A feature's fields changed. Payload: actor, changes ({field: (old, new)})."
)
feature_shipped = Event(
    "feature_shipped",
    doc="A feature was marked shipped. Payload: actor, reason (why it shipped with work left, else None).",
)

ALL = (
    task_created, task_changed, task_trashed, task_restored,
    comment_added, comment_edited, comment_deleted,
    time_logged, time_deleted,
    member_added, member_changed, member_removed,
    working_hours_changed,
    feature_created, feature_changed, feature_shipped,
)
