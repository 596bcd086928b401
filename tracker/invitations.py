"""Invitations to a team: a manager invites an email address with a role; the address gets an email with a
link (the manager sees it too, once) that expires after 7 days; whoever opens it joins by signing in or
registering with that address. Inviting never looks the address up among the accounts, so no answer says
whether it has one; the token is kept only as its SHA-256."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from . import events
from .accounts import checked_email, normalise_email
from .errors import Invalid, NotFound
from .extensions import db
from .formatting import local_time
from .mail import absolute_url, queue_email
from .models import ROLES, Invitation, TeamMembership, User, utcnow
from .teams import require_role
from .tokens import digest
from .two_factor import check_team_requirement

LIFETIME = timedelta(days=7)
TOKEN_MAX = 100  # a token is 43 characters; anything much longer is not one


@dataclass(frozen=True)
class Recipient:
    """Whom an invitation email goes to: an address, which may or may not have an account."""

    email: str
    name: str = ""


def accept_path(token: str) -> str:
    return f"/invitations/{token}"


def _live(now: datetime):
    return (Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None), Invitation.expires_at > now)


def _check_invite(actor: TeamMembership, email: str, role: str) -> str:
    require_role(actor, "manager", "invite people")
    if role not in ROLES:
        raise Invalid({"role": [f"Choose one of: {', '.join(ROLES)}."]})
    if role == "owner":
        require_role(actor, "owner", "invite an owner")
    address = checked_email(email)
    # The manager sees the members' addresses anyway: saying that one is a member reveals nothing.
    member = db.session.scalar(
        select(TeamMembership.id).join(User)
        .where(TeamMembership.team_id == actor.team_id, func.lower(User.email) == address)
    )
    if member is not None:
        raise Invalid({"email": ["Someone with this address is already in the team."]})
    return address


def invite(actor: TeamMembership, email: str, role: str = "member",
           now: datetime | None = None) -> tuple[Invitation, str]:
    """Invite an address to the actor's team (managers invite members and managers, owners also owners);
    an earlier pending invitation of the same address is replaced. Returns the invitation and its token,
    which is not kept: the link to accept is shown to the inviter once and sent to the address."""
    address = _check_invite(actor, email, role)
    now = now or utcnow()
    db.session.execute(
        update(Invitation)
        .where(Invitation.team_id == actor.team_id, Invitation.email == address, *_live(now))
        .values(revoked_at=now).execution_options(synchronize_session=False)
    )
    token = secrets.token_urlsafe(32)
    invitation = Invitation(team_id=actor.team_id, email=address, role=role, token_hash=digest(token),
                            invited_by_id=actor.user_id, created_at=now, expires_at=now + LIFETIME)
    db.session.add(invitation)
    db.session.flush()
    team, inviter = actor.team, actor.user
    queue_email(Recipient(address), f"{inviter.name} invites you to {team.name} on Tracker", "invitation",
                inviter=inviter.name, team=team.name, role=role, accept_url=absolute_url(accept_path(token)),
                expires=local_time(invitation.expires_at, inviter.timezone, label=True))
    db.session.commit()
    return invitation, token


def pending(actor: TeamMembership, now: datetime | None = None) -> list[Invitation]:
    """The team's invitations that can still be accepted, newest first (managers only)."""
    require_role(actor, "manager", "see the invitations")
    return list(db.session.scalars(
        select(Invitation).options(joinedload(Invitation.invited_by))
        .where(Invitation.team_id == actor.team_id, *_live(now or utcnow()))
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
    ))


def revoke(
    user: User, invitation_id: int, team_id: int | None = None, now: datetime | None = None
) -> Invitation:
    """A manager of the invitation's team (of `team_id`, if given) withdraws it; others are told there is
    none (404)."""
    now = now or utcnow()
    row = db.session.execute(
        select(Invitation, TeamMembership)
        .join(TeamMembership, TeamMembership.team_id == Invitation.team_id)
        .where(Invitation.id == invitation_id, TeamMembership.user_id == user.id, *_live(now),
               Invitation.team_id == (team_id if team_id is not None else Invitation.team_id))
    ).first()
    if row is None:
        raise NotFound("No such pending invitation.")
    invitation, membership = row
    check_team_requirement(user, membership)
    require_role(membership, "manager", "withdraw invitations")
    invitation.revoked_at = now
    db.session.commit()
    return invitation


def find(token: str, now: datetime | None = None) -> Invitation:
    """The live invitation a token from a link names; NotFound for anything else (used, revoked, expired)."""
    invitation = None
    if isinstance(token, str) and 0 < len(token) <= TOKEN_MAX:
        invitation = db.session.scalar(
            select(Invitation).options(joinedload(Invitation.team), joinedload(Invitation.invited_by))
            .where(Invitation.token_hash == digest(token), *_live(now or utcnow()))
        )
    if invitation is None:
        raise NotFound("This invitation is not valid: it expired, was withdrawn or was used already.")
    return invitation


def addressed_to(invitation: Invitation, user: User) -> bool:
    return normalise_email(user.email) == invitation.email


def accept(user: User, token: str, now: datetime | None = None) -> TeamMembership:
    """Join the team of a live invitation addressed to the user's email, with its role; NotFound for any
    other invitation (nobody else may use a link that reached them). Joining announces member_added."""
    now = now or utcnow()
    invitation = find(token, now)
    if not addressed_to(invitation, user):
        raise NotFound("This invitation is for another email address.")
    claimed = db.session.execute(
        update(Invitation).where(Invitation.id == invitation.id, *_live(now))
        .values(accepted_at=now, accepted_by_id=user.id).execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:  # accepted or withdrawn a moment ago
        db.session.rollback()
        raise NotFound("This invitation is not valid: it expired, was withdrawn or was used already.")
    return _join(invitation, user)


def _join(invitation: Invitation, user: User) -> TeamMembership:
    existing = db.session.scalar(select(TeamMembership).where(
        TeamMembership.team_id == invitation.team_id, TeamMembership.user_id == user.id))
    if existing is not None:  # joined meanwhile by another invitation: keep the role they have
        db.session.commit()
        return existing
    membership = TeamMembership(team_id=invitation.team_id, user_id=user.id, role=invitation.role)
    db.session.add(membership)
    try:
        db.session.flush()
        events.member_added.send(invitation.team, actor=user, user_id=user.id, role=invitation.role)
        db.session.commit()
    except IntegrityError:  # the same person joined in a parallel request
        db.session.rollback()
        raise NotFound("You are in this team already.") from None
    return membership
