"""Command-line commands of the contract: `flask --app tracker create-user ...`, `seed-demo`."""
from __future__ import annotations

import click
from flask import Flask

from . import accounts
from .errors import Invalid


def register(app: Flask) -> None:
    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--name", required=True)
    @click.option("--password", required=True)
    @click.option("--timezone", default="UTC", show_default=True, help="An IANA time zone name")
    def create_user(email: str, name: str, password: str, timezone: str) -> None:
        """Create an account."""
        try:
            user = accounts.register_user(email, name, password, timezone)
        except Invalid as exc:
            for field, messages in exc.errors.items():
                for message in messages:
                    click.echo(f"error: {field}: {message}", err=True)
            raise SystemExit(1) from None
        click.echo(f"Created user {user.email} (id {user.id}).")

    @app.cli.command("create-token")
    @click.argument("email")
    @click.option("--label", default="", help="What the token is for, e.g. “CI pipeline”")
    def create_token_command(email: str, label: str) -> None:
        """Create a personal API token; it is printed once, alone on the last line."""
        from . import tokens

        user = accounts.find_user_by_email(email)
        if user is None:
            click.echo(f"error: no account uses {email}", err=True)
            raise SystemExit(1)
        try:
            token, raw = tokens.create_token(user, label)
        except Invalid as exc:
            for field, messages in exc.errors.items():
                for message in messages:
                    click.echo(f"error: {field}: {message}", err=True)
            raise SystemExit(1) from None
        click.echo(f"Created API token {token.prefix}… for {user.email}. It is shown only this once:")
        click.echo(raw)

    @app.cli.command("seed-demo")
    @click.option("--owner", "owner_email", default=None, help="Make this existing user the demo team's owner")
    @click.option("--if-empty", is_flag=True, help="Only on a database without any user (first start)")
    def seed_demo_command(owner_email: str | None, if_empty: bool) -> None:
        """Create the demo team (once) and print its logins."""
        from sqlalchemy import select

        from .demo import seed_demo
        from .extensions import db
        from .models import User

        if if_empty and db.session.scalar(select(User.id).limit(1)) is not None:
            return

        try:
            team, logins = seed_demo(owner_email)
        except ValueError as exc:
            click.echo(f"error: {exc}", err=True)
            raise SystemExit(1) from None
        click.echo(f"Demo team “{team.name}” (/teams/{team.id}). Logins:")
        for email, password in logins:
            click.echo(f"  {email}  password: {password}")

    @app.cli.command("send-digests")
    def send_digests_command() -> None:
        """Email each user's daily digest (overdue and due today) once per local day, from 08:00 in
        their time zone. Idempotent: run it from cron every 10 minutes or so."""
        from .mail import mail_enabled, send_digests
        from .outbox import drain

        if not mail_enabled():
            click.echo("Mail is not configured (MAIL_SERVER); no digests sent.")
            return
        click.echo(f"Queued {send_digests()} digest(s).")
        drain()

    @app.cli.command("deliver")
    def deliver_command() -> None:
        """Send queued emails and webhook calls whose next attempt is due (retries, with backoff)."""
        from .outbox import deliver_due

        sent = deliver_due()
        click.echo(f"Sent {sent['mail']} email(s) and {sent['webhook']} webhook call(s).")

    @app.cli.command("scan-deadlines")
    def scan_deadlines_command() -> None:
        """Notify assignees of deadlines within 24 hours and of tasks the forecast puts at risk (once each)."""
        from .notifications import scan_deadlines
        from .outbox import drain

        counts = scan_deadlines()
        drain()
        click.echo(f"Notified {counts['due_soon']} due-soon and {counts['at_risk']} at-risk task(s).")
