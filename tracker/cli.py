"""Command-line commands (`flask --app tracker create-user ...`, `seed-demo`, the cron jobs). Each is a
click command at module level in the `commands` group; `register` adds them all to the app. A refusal
from the domain is printed in one place, `DomainCommand`, as `error: …` lines with exit status 1."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from . import accounts, backup, demo, mail, outbox, reminders, sessions, stored_forecast, tokens, transfer
from . import two_factor, undo
from .errors import DomainError, Invalid, NotFound
from .extensions import db
from .models import User


class Refused(click.ClickException):
    """A domain refusal on the terminal: one `error: …` line per message on stderr, exit status 1."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages

    def show(self, file=None) -> None:
        for message in self.messages:
            click.echo(f"error: {message}", err=True, file=file)


class DomainCommand(click.Command):
    """Runs the command; an `Invalid` prints each field's messages, other domain errors their detail."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except Invalid as exc:
            raise Refused([f"{name}: {m}" for name, messages in exc.errors.items() for m in messages]) from None
        except DomainError as exc:
            raise Refused([exc.detail]) from None


class Commands(AppGroup):
    """The tracker's commands: each runs in an app context and reports domain errors as above."""

    command_class = DomainCommand


commands = Commands("tracker")


def register(app: Flask) -> None:
    """Add every command of `commands` to `flask --app tracker …`."""
    for command in commands.commands.values():
        app.cli.add_command(command)


@commands.command("create-user")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--password", required=True)
@click.option("--timezone", default="UTC", show_default=True, help="An IANA time zone name")
def create_user(email: str, name: str, password: str, timezone: str) -> None:
    """Create an account."""
    user = accounts.register_user(email, name, password, timezone)
    click.echo(f"Created user {user.email} (id {user.id}).")


@commands.command("create-token")
@click.argument("email")
@click.option("--label", default="", help="What the token is for, e.g. “CI pipeline”")
def create_token(email: str, label: str) -> None:
    """Create a personal API token; it is printed once, alone on the last line."""
    user = accounts.find_user_by_email(email)
    if user is None:
        raise NotFound(f"no account uses {email}")
    token, raw = tokens.create_token(user, label)
    click.echo(f"Created API token {token.prefix}… for {user.email}. It is shown only this once:")
    click.echo(raw)


@commands.command("reset-two-factor")
@click.argument("email")
def reset_two_factor(email: str) -> None:
    """Turn two-factor authentication off for someone who lost their app and their recovery codes (check
    who is asking first): their recovery codes are deleted and every session of theirs ends."""
    user = accounts.find_user_by_email(email)
    if user is None:
        raise NotFound(f"no account uses {email}")
    was_on = two_factor.is_enabled(user)
    ended = two_factor.reset(user)
    state = "is turned off" if was_on else "was not on (any half-done setup is cleared)"
    click.echo(f"Two-factor authentication for {user.email} {state}; ended {ended} session(s). "
               "Their password alone signs them in now.")


@commands.command("seed-demo")
@click.option("--owner", "owner_email", default=None, help="Make this existing user the demo team's owner")
@click.option("--if-empty", is_flag=True, help="Only on a database without any user (first start)")
def seed_demo(owner_email: str | None, if_empty: bool) -> None:
    """Create the demo team (once) and print its logins."""
    if if_empty and db.session.scalar(select(User.id).limit(1)) is not None:
        return
    team, logins = demo.seed_demo(owner_email)
    click.echo(f"Demo team “{team.name}” (/teams/{team.id}). Logins:")
    for email, password in logins:
        click.echo(f"  {email}  password: {password}")


@commands.command("send-digests")
def send_digests() -> None:
    """Email each user's daily digest (overdue and due today) once per local day, from 08:00 in
    their time zone. Idempotent: run it from cron every 10 minutes or so."""
    if not mail.mail_enabled():
        click.echo("Mail is not configured (MAIL_SERVER); no digests sent.")
        return
    click.echo(f"Queued {mail.send_digests()} digest(s).")
    outbox.drain()


@commands.command("deliver")
def deliver() -> None:
    """Send queued emails and webhook calls whose next attempt is due (retries, with backoff)."""
    sent = outbox.deliver_due()
    click.echo(f"Sent {sent['mail']} email(s) and {sent['webhook']} webhook call(s).")


@commands.command("scan-deadlines")
def scan_deadlines() -> None:
    """Remind assignees of deadlines at the lead times each chose, of overdue tasks once a working day and
    of tasks the forecast puts at risk; each reminder once, even with this running on several hosts."""
    counts = reminders.scan_deadlines()
    outbox.drain()
    click.echo(f"Reminded of {counts['due_soon']} deadline(s), {counts['overdue']} overdue and "
               f"{counts['at_risk']} at-risk task(s).")


@commands.command("refresh-forecast")
def refresh_forecast() -> None:
    """Recompute every open task's stored deadline-risk forecast, and every member's workload, for the
    present moment (changes update them at once; this moves "now" forward), and rebuild the dashboard's
    daily tallies (tracker/tallies.py). Idempotent: run it from cron every 10 minutes or so."""
    click.echo(f"Forecast {stored_forecast.refresh_all()} open task(s).")


@commands.command("purge-sessions")
def purge_sessions() -> None:
    """Delete idle sign-in sessions, failed-login counts whose period is over, and expired undo records.
    Idempotent: run it from cron daily."""
    ended, forgotten = sessions.end_idle_sessions(), accounts.forget_old_failures()
    click.echo(f"Ended {ended} idle session(s); forgot {forgotten} failed-login count(s); "
               f"deleted {undo.purge()} expired undo record(s).")


@commands.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
def backup_database(path: str) -> None:
    """Copy the live SQLite database to PATH, consistently, while the app keeps running (on PostgreSQL,
    use pg_dump: the command says how)."""
    copy = backup.backup(db.engine, path)
    click.echo(f"Backed up the database to {copy.path} ({copy.size} bytes, schema {copy.revision}).")


@commands.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.confirmation_option(prompt="Replace everything in the database with this backup?")
def restore_database(path: str) -> None:
    """Replace the SQLite database's content with the backup at PATH. Stop the app first: what was written
    since the backup is lost. Then run `flask db upgrade` if the backup is from an older version."""
    copy = backup.restore(db.engine, path)
    click.echo(f"Restored {copy.path} from {path} (schema {copy.revision}).")


@commands.command("export")
@click.argument("team_slug")
def export_team(team_slug: str) -> None:
    """Write the whole team (members, categories, tasks with their checklists, comments, time and history,
    features, saved filters) as JSON to stdout."""
    click.echo(transfer.export_json(transfer.get_team_by_slug(team_slug)), nl=False)


@commands.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--owner", "owner_email", default=None, help="Make this existing user the new team's owner")
def import_team(file, owner_email: str | None) -> None:
    """Restore an export into a new team (people matched by email); prints its slug on the last line."""
    data = transfer.read_document(file.read(transfer.MAX_IMPORT_BYTES + 1))
    imported = transfer.import_team(data, transfer.owner_for_cli(data, owner_email))
    click.echo(f"Imported {imported.tasks} task(s) into “{imported.team.name}” (/teams/{imported.team.id}).")
    if imported.unmatched:
        click.echo("No account here for: " + ", ".join(imported.unmatched) + " (their work is kept, unassigned).")
    click.echo(imported.team.slug)
