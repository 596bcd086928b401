"""Who reacts to which domain event: the one place where the areas that follow from a change are wired
to the events that announce it (see tracker/events.py), and where the outbox learns its senders.

Receivers of one event run in the order listed: history first, then watchers (so that a new assignee
or commenter is a watcher before anyone is notified), then notifications, then webhooks; the stored
forecast notes what to recompute once the change commits. A completed recurring task brings forth its
next occurrence, once the completion is recorded everywhere; last, the task that completes an active
feature ships it.
"""
from __future__ import annotations

from . import (
    activity,
    events,
    features,
    mail,
    notifications,
    outbox,
    recurrence,
    stored_forecast,
    tallies,
    watchers,
    webhooks,
)

SUBSCRIPTIONS = (
    (
        events.task_created,
        (activity.record_created, watchers.on_task_created, notifications.on_task_created,
         webhooks.on_task_created, stored_forecast.on_task_event, tallies.on_task_event),
    ),
    (
        events.task_changed,
        (activity.record_changed, watchers.on_task_changed, notifications.on_task_changed,
         webhooks.on_task_changed, stored_forecast.on_task_changed, tallies.on_task_changed,
         recurrence.on_task_changed, features.on_task_changed),
    ),
    (
        events.task_trashed,
        (activity.record_trashed, webhooks.on_task_trashed, stored_forecast.on_task_event,
         tallies.on_task_event),
    ),
    (events.task_restored, (activity.record_restored, stored_forecast.on_task_event, tallies.on_task_event)),
    (
        events.comment_added,
        (activity.record_comment, watchers.on_comment_added, notifications.on_comment_added,
         webhooks.on_comment_added),
    ),
    (events.comment_edited, (activity.record_comment_edit, notifications.on_comment_edited)),
    (events.comment_deleted, (activity.record_comment_deletion,)),
    (events.time_logged, (activity.record_time_logged, stored_forecast.on_time_logged)),
    (events.time_deleted, (activity.record_time_deleted, stored_forecast.on_time_logged)),
    # The stored forecast follows whatever moves someone's queue (tracker/stored_forecast.py).
    (events.member_added, (stored_forecast.on_person_changed,)),
    (events.member_removed, (stored_forecast.on_person_changed,)),
    (events.working_hours_changed, (stored_forecast.on_person_changed,)),
    # The dashboard's tallies count at-risk tasks as the stored forecast flags them (tracker/tallies.py).
    (events.forecast_refreshed, (tallies.on_forecast_refreshed,)),
    (events.feature_created, (activity.record_feature_created, webhooks.on_feature_created)),
    (events.feature_changed, (activity.record_feature_changed, webhooks.on_feature_changed)),
    (events.feature_shipped, (activity.record_feature_shipped, webhooks.on_feature_shipped)),
)
SENDERS = (("mail", mail.send_outbox_email), ("webhook", webhooks.send_delivery))


def connect() -> None:
    """Connect every receiver (idempotent: connecting the same receiver again changes nothing)."""
    for event, receivers in SUBSCRIPTIONS:
        for receiver in receivers:
            event.connect(receiver)
    for kind, send in SENDERS:
        outbox.register_sender(kind, send)
