"""Comments, activity, notifications, webhooks and calendar feeds over the API; each endpoint calls
the domain module of its feature (tracker/comments.py, activity.py, notifications.py, webhooks.py,
feeds.py), the same functions as the HTML pages."""

from __future__ import annotations

from flask import request, url_for

from .. import activity, comments, feeds, notifications, tasks, teams, webhooks
from .core import caller, operation, reply
from .schemas import (
    ActivityOut,
    ActivityPage,
    ActivityQuery,
    CalendarOut,
    CommentOut,
    CommentPage,
    CommentWrite,
    MarkedOut,
    MarkRead,
    NotificationOut,
    NotificationPage,
    NotificationQuery,
    PagingQuery,
    WebhookCreate,
    WebhookCreated,
    WebhookOut,
    WebhookPage,
    paged,
)

# Comments ---------------------------------------------------------------------------------------


@operation(
    "GET",
    "/tasks/<id:task_id>/comments",
    summary="A task's comments",
    tag="Collaboration",
    response=CommentPage,
    query=PagingQuery,
)
def list_comments(task_id: int, query: PagingQuery):
    """Oldest first."""
    task, _member = tasks.get_task(caller(), task_id)
    items = [CommentOut.model_validate(c) for c in comments.list_comments(task)]
    return reply(paged(CommentPage, items, query.page, query.per_page))


@operation(
    "POST",
    "/tasks/<id:task_id>/comments",
    summary="Comment on a task",
    tag="Collaboration",
    response=CommentOut,
    status=201,
    body=CommentWrite,
    headers={"Location": "The comment's URL."},
)
def add_comment(task_id: int, body: CommentWrite):
    """Markdown; `@name` or `@email` mentions of team members notify them, and the task's watchers
    are notified too."""
    task, member = tasks.get_task(caller(), task_id)
    comment = comments.add_comment(member, task, body.body)
    location = url_for("api.get_comment", comment_id=comment.id)
    return reply(CommentOut.model_validate(comment), 201, {"Location": location})


@operation(
    "GET", "/comments/<id:comment_id>", summary="One comment", tag="Collaboration", response=CommentOut
)
def get_comment(comment_id: int):
    """A comment on a live task of one of the caller's teams."""
    comment, _member = comments.get_comment(caller(), comment_id)
    return reply(CommentOut.model_validate(comment))


@operation(
    "PATCH",
    "/comments/<id:comment_id>",
    summary="Edit your comment",
    tag="Collaboration",
    response=CommentOut,
    body=CommentWrite,
    errors=[403],
)
def edit_comment(comment_id: int, body: CommentWrite):
    """Only the author, and only for a short while after writing it (403 afterwards)."""
    comment, member = comments.get_comment(caller(), comment_id)
    return reply(CommentOut.model_validate(comments.edit_comment(member, comment, body.body)))


@operation(
    "DELETE",
    "/comments/<id:comment_id>",
    summary="Delete a comment",
    tag="Collaboration",
    status=204,
    errors=[403],
)
def delete_comment(comment_id: int):
    """The author or a manager of the team."""
    comment, member = comments.get_comment(caller(), comment_id)
    comments.delete_comment(member, comment)
    return reply(None, 204)


# Activity ---------------------------------------------------------------------------------------


@operation(
    "GET",
    "/tasks/<id:task_id>/activity",
    summary="A task's history",
    tag="Collaboration",
    response=ActivityPage,
    query=PagingQuery,
)
def task_activity(task_id: int, query: PagingQuery):
    """Who changed what and when, with old and new values, oldest first."""
    task, _member = tasks.get_task(caller(), task_id)
    items = [ActivityOut.model_validate(a) for a in activity.task_activity(task)]
    return reply(paged(ActivityPage, items, query.page, query.per_page))


@operation(
    "GET",
    "/teams/<id:team_id>/activity",
    summary="A team's activity feed",
    tag="Collaboration",
    response=ActivityPage,
    query=ActivityQuery,
)
def team_activity(team_id: int, query: ActivityQuery):
    """Newest first, the history of the team's tasks and features; filter by person, task category (task
    entries only) and kind (changes, comments, time; features: the features' entries only)."""
    member = teams.membership_for(caller(), team_id)
    feed = activity.team_feed(member, activity.parse_feed_filter(request.args), query.page, query.per_page)
    items = [ActivityOut.of(a) for a in feed.items]
    return reply(ActivityPage(items=items, total=feed.total, page=feed.page, per_page=feed.per_page))


# Notifications ----------------------------------------------------------------------------------


@operation(
    "GET",
    "/notifications",
    summary="Your notifications",
    tag="Collaboration",
    response=NotificationPage,
    query=NotificationQuery,
)
def list_notifications(query: NotificationQuery):
    """Newest first."""
    result = notifications.list_notifications(
        caller(), unread_only=query.unread, page=query.page, per_page=query.per_page
    )
    items = [
        NotificationOut(
            id=n.id,
            kind=n.kind,
            task_id=n.task_id,
            actor_id=n.actor_id,
            comment_id=n.comment_id,
            summary=n.summary,
            read=n.read_at is not None,
            created_at=n.created_at,
        )
        for n in result.items
    ]
    return reply(
        NotificationPage(items=items, total=result.total, page=result.page, per_page=result.per_page)
    )


@operation(
    "POST",
    "/notifications/read",
    summary="Mark notifications read",
    tag="Collaboration",
    response=MarkedOut,
    body=MarkRead,
)
def mark_notifications_read(body: MarkRead):
    """`{"ids": [...]}` marks those (others' ids are ignored); `{}` marks all."""
    return reply(MarkedOut(marked=notifications.mark_read(caller(), body.ids)))


# Webhooks ---------------------------------------------------------------------------------------


def _webhook_out(webhook, model=WebhookOut):
    extra = {"secret": webhook.secret} if model is WebhookCreated else {}
    return model(
        id=webhook.id,
        team_id=webhook.team_id,
        url=webhook.url,
        events=webhook.event_list,
        active=webhook.active,
        created_at=webhook.created_at,
        **extra,
    )


@operation(
    "GET",
    "/teams/<id:team_id>/webhooks",
    summary="A team's webhooks",
    tag="Collaboration",
    response=WebhookPage,
    query=PagingQuery,
    errors=[403],
)
def list_webhooks(team_id: int, query: PagingQuery):
    """Managers and owners only."""
    member = teams.membership_for(caller(), team_id)
    items = [_webhook_out(w) for w in webhooks.list_webhooks(member)]
    return reply(paged(WebhookPage, items, query.page, query.per_page))


@operation(
    "POST",
    "/teams/<id:team_id>/webhooks",
    summary="Add a webhook",
    tag="Collaboration",
    response=WebhookCreated,
    status=201,
    body=WebhookCreate,
    errors=[403],
    headers={"Location": "The webhook's URL."},
)
def create_webhook(team_id: int, body: WebhookCreate):
    """Managers and owners. Deliveries are signed with the secret; loopback and private addresses are
    refused."""
    member = teams.membership_for(caller(), team_id)
    webhook = webhooks.create_webhook(member, body.url, body.events, body.secret)
    location = url_for("api.get_webhook", webhook_id=webhook.id)
    return reply(_webhook_out(webhook, WebhookCreated), 201, {"Location": location})


@operation(
    "GET",
    "/webhooks/<id:webhook_id>",
    summary="One webhook",
    tag="Collaboration",
    response=WebhookOut,
    errors=[403],
)
def get_webhook(webhook_id: int):
    """Managers and owners of its team."""
    webhook, _member = webhooks.find_webhook(caller(), webhook_id)
    return reply(_webhook_out(webhook))


@operation(
    "DELETE",
    "/webhooks/<id:webhook_id>",
    summary="Delete a webhook",
    tag="Collaboration",
    status=204,
    errors=[403],
)
def delete_webhook(webhook_id: int):
    """Managers and owners of its team."""
    webhook, member = webhooks.find_webhook(caller(), webhook_id)
    webhooks.delete_webhook(member, webhook)
    return reply(None, 204)


# Calendar feeds ---------------------------------------------------------------------------------


def _calendar_out(urls) -> CalendarOut:
    return CalendarOut(
        user_feed_url=urls.user_feed_url, team_feed_urls={str(k): v for k, v in urls.team_feed_urls.items()}
    )


@operation(
    "GET", "/me/calendar", summary="Your calendar feed URLs", tag="Collaboration", response=CalendarOut
)
def get_calendar():
    """Secret iCalendar (RFC 5545) URLs: one for your deadlines, one per team for all its deadlines.
    Anyone with a URL can read the feed; rotate them if one leaks."""
    return reply(_calendar_out(feeds.feed_urls(caller())))


@operation(
    "POST",
    "/me/calendar/rotate",
    summary="New secrets for your feeds",
    tag="Collaboration",
    response=CalendarOut,
)
def rotate_calendar():
    """The old URLs answer 404 from now on."""
    return reply(_calendar_out(feeds.rotate(caller())))
