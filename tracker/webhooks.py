"""Outgoing webhooks of a team: signed JSON calls for task, comment and feature events, queued with the
change and sent after it commits, retried with backoff, logged for managers. URLs that resolve to loopback,
private, link-local or cloud-metadata addresses are refused (server-side request forgery) unless the
WEBHOOKS_ALLOW_PRIVATE setting is on; the check is repeated at every send, against the address used."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import ssl
from collections.abc import Callable, Iterable
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import outbox
from .errors import Invalid, NotFound
from .extensions import db
from .models import (
    WEBHOOK_EVENTS,
    Comment,
    Feature,
    Task,
    TeamMembership,
    User,
    Webhook,
    WebhookDelivery,
    utcnow,
)
from .serialise import comment_json, feature_json, plain, task_json
from .tasks import spent_hours
from .teams import require_role
from .two_factor import check_team_requirement

log = logging.getLogger(__name__)

URL_MAX = 2000
SECRET_MIN, SECRET_MAX = 16, 128
SIGNATURE_HEADER = "X-Tracker-Signature"


# Server-side request forgery --------------------------------------------------------------------------


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Globally routable and not multicast. An IPv6 address that carries an IPv4 one is judged by where
    its packets end up as well: [64:ff9b::7f00:1], [2002:7f00:1::] and [::127.0.0.1] are 127.0.0.1."""
    if address.version == 4:
        return address.is_global and not address.is_multicast
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    # IPv4-compatible ::a.b.c.d, IPv4-mapped ::ffff:a.b.c.d and IPv4-translated ::ffff:0:a.b.c.d are
    # IPv4 addresses to the socket.
    if int(address) >> 32 in (0, 0xFFFF, 0xFFFF_0000):
        return _public(low32)
    # The local-use NAT64 prefix (RFC 8215) reaches whatever this network's own translator serves.
    if address in ipaddress.IPv6Network("64:ff9b:1::/48"):
        return False
    carried = [*(address.teredo or ()), address.sixtofour]  # Teredo: server and client; 6to4
    if address in ipaddress.IPv6Network("64:ff9b::/96"):  # well-known NAT64 prefix (RFC 6052)
        carried.append(low32)
    return address.is_global and not address.is_multicast and all(_public(v4) for v4 in carried if v4)


def resolve(url: str) -> tuple[str, int, list[str]]:
    """The URL's host, port and every address it resolves to; Invalid when it is not a usable URL or
    (unless WEBHOOKS_ALLOW_PRIVATE) any address is loopback, private, link-local, metadata or reserved."""
    problem = None
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        parts, port = None, 0
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        problem = "Enter an http:// or https:// URL."
    elif parts.username or parts.password:
        problem = "Put credentials in the secret, not in the URL."
    elif len(url) > URL_MAX:
        problem = f"Use at most {URL_MAX} characters."
    if problem:
        raise Invalid({"url": [problem]})
    host = parts.hostname
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise Invalid({"url": [f"The host “{host}” cannot be resolved."]}) from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not current_app.config.get("WEBHOOKS_ALLOW_PRIVATE"):
        blocked = [a for a in addresses if not _public(ipaddress.ip_address(a.split("%")[0]))]
        if blocked:
            raise Invalid(
                {
                    "url": [
                        f"“{host}” resolves to {', '.join(blocked)}: webhooks may not call loopback, "
                        "private, link-local or metadata addresses."
                    ]
                }
            )
    return host, port, addresses


# Managing ---------------------------------------------------------------------------------------------


def list_webhooks(member: TeamMembership) -> list[Webhook]:
    require_role(member, "manager", "manage webhooks")
    return list(
        db.session.scalars(select(Webhook).where(Webhook.team_id == member.team_id).order_by(Webhook.id))
    )


def _check_events(events: Iterable[str]) -> list[str]:
    events = list(dict.fromkeys(events or []))
    unknown = [e for e in events if e not in WEBHOOK_EVENTS]
    if unknown or not events:
        raise Invalid({"events": [f"Choose at least one of: {', '.join(WEBHOOK_EVENTS)}."]})
    return events


def create_webhook(
    member: TeamMembership, url: str, events: Iterable[str], secret: str | None = None
) -> Webhook:
    """A new webhook (manager+). Without a secret one is generated; read it back from the webhook."""
    require_role(member, "manager", "manage webhooks")
    url = (url or "").strip()
    errors: dict[str, list[str]] = {}
    try:
        resolve(url)
    except Invalid as exc:
        errors.update(exc.errors)
    try:
        events = _check_events(events)
    except Invalid as exc:
        errors.update(exc.errors)
    secret = (secret or "").strip() or secrets.token_hex(32)
    if not SECRET_MIN <= len(secret) <= SECRET_MAX:
        errors["secret"] = [
            f"Use {SECRET_MIN} to {SECRET_MAX} characters, or leave it empty for a generated one."
        ]
    if errors:
        raise Invalid(errors)
    webhook = Webhook(
        team_id=member.team_id, url=url, secret=secret, events=",".join(events), created_by_id=member.user_id
    )
    db.session.add(webhook)
    db.session.commit()
    return webhook


def get_webhook(member: TeamMembership, webhook_id: int) -> Webhook:
    require_role(member, "manager", "manage webhooks")
    webhook = db.session.get(Webhook, webhook_id)
    if webhook is None or webhook.team_id != member.team_id:
        raise NotFound("No such webhook.")
    return webhook


def find_webhook(user: User, webhook_id: int) -> tuple[Webhook, TeamMembership]:
    """A webhook of one of the user's teams and that membership (NotFound otherwise; 403 below manager)."""
    row = db.session.execute(
        select(Webhook, TeamMembership)
        .join(TeamMembership, TeamMembership.team_id == Webhook.team_id)
        .where(Webhook.id == webhook_id, TeamMembership.user_id == user.id)
    ).first()
    if row is None:
        raise NotFound("No such webhook.")
    check_team_requirement(user, row[1])
    require_role(row[1], "manager", "manage webhooks")
    return row[0], row[1]


def delete_webhook(member: TeamMembership, webhook: Webhook) -> None:
    require_role(member, "manager", "manage webhooks")
    if webhook.team_id != member.team_id:
        raise NotFound("No such webhook.")
    db.session.delete(webhook)
    db.session.commit()


def recent_deliveries(member: TeamMembership, limit: int = 50) -> list[WebhookDelivery]:
    """The team's latest deliveries, newest first (the delivery log)."""
    require_role(member, "manager", "see webhook deliveries")
    return list(
        db.session.scalars(
            select(WebhookDelivery)
            .join(Webhook)
            .where(Webhook.team_id == member.team_id)
            .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
            .limit(limit)
        )
    )


# Queueing (part of the change's transaction) -----------------------------------------------------------


def queue_event(
    task: Task, event: str, actor: User | None, *, changes: dict | None = None, comment: Comment | None = None
) -> list[WebhookDelivery]:
    """Queue `event` about a task for every active webhook of the task's team that wants it."""

    def about() -> dict:
        payload = {"task": task_json(task, spent_hours([task.id]).get(task.id, 0.0))}
        if changes is not None:
            payload["changes"] = changes
        if comment is not None:
            payload["comment"] = comment_json(comment)
        return payload

    return _queue(task.team_id, event, actor, about)


def _queue(team_id: int, event: str, actor: User | None, about: Callable[[], dict]) -> list[WebhookDelivery]:
    """Queue `event` for every active webhook of the team that wants it; `about()` gives what the event
    is about (called only when some webhook wants it)."""
    hooks = [
        w
        for w in db.session.scalars(
            select(Webhook)
            .where(Webhook.team_id == team_id, Webhook.active.is_(True))
            .order_by(Webhook.id)
        )
        if event in w.event_list
    ]
    if not hooks:
        return []
    payload = {
        "event": event,
        "occurred_at": plain(utcnow()),
        "team_id": team_id,
        "actor": {"id": actor.id, "name": actor.name} if actor else None,
        **about(),
    }
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    deliveries = [
        WebhookDelivery(webhook_id=w.id, event=event, body=body, next_attempt_at=utcnow()) for w in hooks
    ]
    db.session.add_all(deliveries)
    db.session.flush()
    for delivery in deliveries:
        outbox.queue_after_commit("webhook", delivery.id)
    return deliveries


# Receivers of the domain events (connected in tracker/subscribers.py) ----------------------------------


def on_task_created(task: Task, *, actor: User, imported: bool = False, **_) -> None:
    if not imported:  # a CSV import would call each hook once per row
        queue_event(task, "task.created", actor)


def on_task_changed(task: Task, *, actor: User, changes: dict, **_) -> None:
    queue_event(task, "task.updated", actor, changes=_changed(changes))


def on_task_trashed(task: Task, *, actor: User, **_) -> None:
    queue_event(task, "task.deleted", actor)


def on_comment_added(task: Task, *, actor: User, comment: Comment, **_) -> None:
    queue_event(task, "comment.created", actor, comment=comment)


def _changed(changes: dict) -> dict:
    return {name: {"old": plain(old), "new": plain(new)} for name, (old, new) in changes.items()}


def on_feature_created(feature: Feature, *, actor: User, **_) -> None:
    _queue(feature.team_id, "feature.created", actor, lambda: {"feature": feature_json(feature)})


def on_feature_changed(feature: Feature, *, actor: User, changes: dict, **_) -> None:
    _queue(feature.team_id, "feature.updated", actor,
           lambda: {"feature": feature_json(feature), "changes": _changed(changes)})


def on_feature_shipped(feature: Feature, *, actor: User, reason: str | None, **_) -> None:
    _queue(feature.team_id, "feature.shipped", actor,
           lambda: {"feature": feature_json(feature), "reason": reason})


# Sending --------------------------------------------------------------------------------------------


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that passed the check, not to whatever the name resolves to next."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    host, port, addresses = resolve(url)
    parts = urlsplit(url)
    cls = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = cls(host, port, addresses[0], timeout)
    try:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(65536)
        return response.status
    finally:
        connection.close()


def send_delivery(session: Session, delivery_id: int, now: datetime) -> bool:
    """Send one queued call if it is due and not taken by another sender; True when it was answered 2xx."""
    if not outbox.claim(session, WebhookDelivery, delivery_id, now, WebhookDelivery.status == "pending"):
        return False
    delivery = session.get(WebhookDelivery, delivery_id)
    webhook = delivery.webhook
    body = delivery.body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Tracker-Webhooks/1",
        "X-Tracker-Event": delivery.event,
        "X-Tracker-Delivery": str(delivery.id),
        SIGNATURE_HEADER: sign(webhook.secret, body),
    }
    error = None
    try:
        status = _post(webhook.url, body, headers, current_app.config.get("WEBHOOK_TIMEOUT", 5))
        delivery.response_status = status
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except Invalid as exc:
        error = " ".join(exc.errors.get("url", [])) or exc.detail
    except (OSError, http.client.HTTPException) as exc:
        error = f"{type(exc).__name__}: {exc}"
    if error is None:
        delivery.attempts += 1
        delivery.status, delivery.delivered_at, delivery.locked_until, delivery.last_error = (
            "delivered",
            now,
            None,
            None,
        )
    else:
        if outbox.record_failure(delivery, now, error):
            delivery.status = "failed"
        log.warning(
            "webhook delivery %s to %s failed (attempt %s): %s",
            delivery.id,
            webhook.url,
            delivery.attempts,
            error,
        )
    session.commit()
    return error is None
