"""Comments, activity, notifications, webhooks and calendar feeds over the API.

They call the domain modules of those features (tracker/comments.py, tracker/notifications.py, ...).
Until those endpoints are added here, this module declares none.
"""
from __future__ import annotations
