"""Each person's choice of channel per kind of notification (in-app, email, both, none), defaults filled
in. Notifications and the email digest both read it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select

from .errors import Invalid
from .extensions import db
from .models import NOTIFICATION_CHANNELS, NOTIFICATION_KINDS, NotificationPreference, User

KIND_LABELS = {
    "assigned": "A task is assigned to me",
    "mentioned": "Someone mentions me",
    "status_changed": "A task I watch changes status",
    "deadline_changed": "A task I watch gets a new deadline",
    "commented": "Someone comments on a task I watch",
    "due_soon": "A deadline of mine is near (at the lead times I chose in my reminder settings)",
    "overdue": "A task of mine is overdue (once each working day)",
    "at_risk": "A task of mine is forecast to miss its deadline",
    "digest": "Daily digest at 08:00 of what is overdue and due today (email)",
}
DEFAULT_CHANNELS = {
    "assigned": "both",
    "mentioned": "both",
    "status_changed": "in_app",
    "deadline_changed": "in_app",
    "commented": "in_app",
    "due_soon": "both",
    "overdue": "in_app",  # the 08:00 digest already emails what is overdue
    "at_risk": "both",
    "digest": "email",
}
PREFERENCE_KINDS = (*NOTIFICATION_KINDS, "digest")
DIGEST_CHANNELS = ("email", "none")


def preferences(user: User) -> dict[str, str]:
    """The user's channel for every kind (defaults filled in)."""
    stored = dict(
        db.session.execute(
            select(NotificationPreference.kind, NotificationPreference.channel).where(
                NotificationPreference.user_id == user.id
            )
        ).all()
    )
    return {kind: stored.get(kind, DEFAULT_CHANNELS[kind]) for kind in PREFERENCE_KINDS}


def channels(user_ids: Iterable[int], kind: str) -> dict[int, str]:
    """Each user's channel for one kind, in one query."""
    user_ids = list(user_ids)
    stored = (
        dict(
            db.session.execute(
                select(NotificationPreference.user_id, NotificationPreference.channel).where(
                    NotificationPreference.user_id.in_(user_ids), NotificationPreference.kind == kind
                )
            ).all()
        )
        if user_ids
        else {}
    )
    return {user_id: stored.get(user_id, DEFAULT_CHANNELS[kind]) for user_id in user_ids}


def set_preferences(user: User, choices: Mapping[str, str]) -> dict[str, str]:
    """Set some kinds' channels: in_app, email, both or none (the digest: email or none)."""
    errors: dict[str, list[str]] = {}
    for kind, channel in choices.items():
        allowed = DIGEST_CHANNELS if kind == "digest" else NOTIFICATION_CHANNELS
        if kind not in PREFERENCE_KINDS:
            errors[kind] = [f"Unknown kind; use one of: {', '.join(PREFERENCE_KINDS)}."]
        elif channel not in allowed:
            errors[kind] = [f"Choose one of: {', '.join(allowed)}."]
    if errors:
        raise Invalid(errors)
    stored = {
        p.kind: p
        for p in db.session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        )
    }
    for kind, channel in choices.items():
        if kind in stored:
            stored[kind].channel = channel
        else:
            db.session.add(NotificationPreference(user_id=user.id, kind=kind, channel=channel))
    db.session.commit()
    return preferences(user)
