"""Small factories for users, teams and tasks, used inside an app context:
`from tests.factories import make_user, make_team, add_to_team, make_task, login, PASSWORD`."""
from __future__ import annotations

import re
import uuid
from datetime import time

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from tracker.extensions import db
from tracker.models import Task, TeamMembership, User
from tracker.tasks import create_task
from tracker.teams import create_team

PASSWORD = "correct horse battery"


def make_user(name: str = "Ana", email: str | None = None, timezone: str = "UTC", **fields) -> User:
    email = email or f"{re.sub(r'[^a-z]', '', name.lower()) or 'user'}-{uuid.uuid4().hex[:6]}@example.com"
    user = User(email=email, name=name, timezone=timezone,
                password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"),
                work_days=fields.pop("work_days", "1,2,3,4,5"),
                work_start=fields.pop("work_start", time(9)), work_end=fields.pop("work_end", time(17)),
                **fields)
    db.session.add(user)
    db.session.commit()
    return user


def make_team(owner: User, name: str = "Backend") -> TeamMembership:
    """A new team owned by `owner`; returns the owner's membership."""
    team = create_team(owner, name)
    return membership(team.id, owner)


def membership(team_id: int, user: User) -> TeamMembership:
    return db.session.scalar(
        sa.select(TeamMembership).where(TeamMembership.team_id == team_id, TeamMembership.user_id == user.id)
    )


def add_to_team(owner_member: TeamMembership, user: User, role: str = "member") -> TeamMembership:
    m = TeamMembership(team_id=owner_member.team_id, user_id=user.id, role=role)
    db.session.add(m)
    db.session.commit()
    return m


def make_task(member: TeamMembership, title: str = "Write the migration", **fields) -> Task:
    fields.setdefault("category", "database")
    return create_task(member, {"title": title, **fields})


def login(client, user: User, password: str = PASSWORD):
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def change_password(client, new: str, current: str = PASSWORD, confirm: str | None = None, **fields):
    """Send the settings page's password form (`fields` adds e.g. its CSRF token)."""
    data = {
        "password-current_password": current,
        "password-new_password": new,
        "password-confirm": new if confirm is None else confirm,
        **fields,
    }
    return client.post("/settings/password", data=data)


def new_task_form(**fields) -> dict[str, str]:
    """The task form as a browser sends it (every field, most of them empty), with `fields` filled in."""
    data = {
        "title": "A task",
        "description": "",
        "category": "database",
        "status": "todo",
        "priority": "medium",
        "due_date": "",
        "due_time": "",
        "start_date": "",
        "estimate_hours": "",
        "assignee_id": "",
        "labels": "",
        "blocked_by": "",
    }
    data.update(fields)
    return data


def make_pair_and_outsider() -> dict:
    """Olga owns "Backend" with Mia as a member (memberships `o` and `m`); Otto owns "Elsewhere" (`x`)."""
    owner, mate, outsider = make_user("Olga"), make_user("Mia"), make_user("Otto")
    o = make_team(owner, "Backend")
    m = add_to_team(o, mate)
    x = make_team(outsider, "Elsewhere")
    return {"owner": owner, "mate": mate, "outsider": outsider, "o": o, "m": m, "x": x, "team_id": o.team_id}
