"""Comments on tasks: Markdown rendered with the descriptions' sanitiser, `@name` / `@email` mentions of
team members (linked, and notified), editable by their author for a while, deletable by the author or
a manager."""

from __future__ import annotations

import re
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from html.parser import HTMLParser

import nh3
from markupsafe import escape
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from . import events
from .errors import Forbidden, Invalid, NotFound
from .extensions import db
from .models import Comment, Task, TeamMembership, User, utcnow
from .tasks import get_on_task, list_on_task
from .teams import has_role
from .text import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, render_markdown

BODY_MAX = 10_000
EDIT_WINDOW = timedelta(minutes=15)


# Mentions ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    user: User


def _handles(members: list[User]) -> list[tuple[str, User]]:
    """What may follow "@" to name each member: the email, the full name, the name without spaces,
    and the first name when no other member shares it. Longest first, so "@Ana Lima" beats "@Ana"."""
    first_names = Counter(user.name.split()[0].lower() for user in members if user.name.split())
    handles = []
    for user in members:
        names = {user.email.lower(), user.name.lower(), "".join(user.name.split()).lower()}
        first = user.name.split()[0].lower() if user.name.split() else ""
        if first and first_names[first] == 1:
            names.add(first)
        handles += [(name, user) for name in names if name]
    return sorted(handles, key=lambda h: (-len(h[0]), h[1].id))


def find_mentions(body: str, members: list[User]) -> list[Mention]:
    """The mentions of members in a text. An "@" counts at the start or after a space or opening
    punctuation (so "ana@example.com" in prose and "/@x" in URLs are not mentions) and the handle must
    end at a word boundary."""
    handles = _handles(members)
    lowered = body.lower()
    found: list[Mention] = []
    for match in re.finditer(r"(?<![^\s(\[{<>\"'*_~,;])@", body):
        at = match.end()
        for handle, user in handles:
            end = at + len(handle)
            if lowered.startswith(handle, at) and (
                end == len(body) or not (body[end].isalnum() or body[end] in "_@")
            ):
                found.append(Mention(match.start(), end, user))
                break
    return found


MENTION_SUGGESTIONS = 8
_MENTION_PREFIX_MAX = 60


def mention_candidates(member: TeamMembership, prefix: str, limit: int = MENTION_SUGGESTIONS) -> list[User]:
    """Whom "@prefix" may name in a comment in the member's team (for the comment box's suggestions):
    the other members whose name, a later word of it, or email starts with `prefix`, ignoring case; by
    name, at most `limit`. Only that team's members: a mention of anyone else notifies nobody."""
    prefix = prefix.strip().lower()[:_MENTION_PREFIX_MAX]
    name, email = func.lower(User.name), func.lower(User.email)
    query = (
        select(User)
        .join(TeamMembership, TeamMembership.user_id == User.id)
        .where(TeamMembership.team_id == member.team_id, User.id != member.user_id)
    )
    if prefix:
        query = query.where(or_(name.startswith(prefix, autoescape=True),
                                name.contains(" " + prefix, autoescape=True),
                                email.startswith(prefix, autoescape=True)))
    return list(db.session.scalars(query.order_by(name, User.id).limit(limit)))


class _MentionLinker(HTMLParser):
    """Writes sanitised HTML back out with each mention placeholder made a link in running text, and
    put back as the words written inside links, code and attributes (a link inside a link, or markup
    inside a title attribute, would come out mangled)."""

    AS_WRITTEN_INSIDE = frozenset({"a", "code", "pre"})

    def __init__(self, links: dict[str, str], words: dict[str, str]) -> None:
        super().__init__(convert_charrefs=True)
        self.links, self.words = links, words
        self.placeholder = re.compile("|".join(map(re.escape, links)) or "(?!)")
        self.as_written = 0  # how many <a>, <code> or <pre> elements are open
        self.out: list[str] = []

    def _text(self, text: str, link: bool) -> str:
        return self.placeholder.sub(
            lambda m: self.links[m.group()] if link else str(escape(self.words[m.group()])), str(escape(text))
        )

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.as_written += tag in self.AS_WRITTEN_INSIDE
        values = "".join(f' {name}="{self._text(value or "", False)}"' for name, value in attrs)
        self.out.append(f"<{tag}{values}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)  # <br/>: a void element, no end tag to write

    def handle_endtag(self, tag: str) -> None:
        self.as_written -= tag in self.AS_WRITTEN_INSIDE
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.out.append(self._text(data, self.as_written == 0))


def render_body(body: str, mentions: list[Mention], team_id: int) -> str:
    """Sanitised HTML of a comment, with each mention in running text a link to that person's activity
    in the team. Mentions are swapped for unguessable placeholders before rendering, so Markdown sees
    plain words, and swapped back on the sanitised HTML tree, where it is known what surrounds them."""
    nonce = secrets.token_hex(8)
    links: dict[str, str] = {}
    words: dict[str, str] = {}
    pieces, last = [], 0
    for i, mention in enumerate(mentions):
        token = f"MENTION{nonce}X{i}Z"
        words[token] = body[mention.start : mention.end]
        # The link is built here, from escaped values only, and the result is sanitised once more.
        links[token] = (
            f'<a class="mention" href="/teams/{team_id}/activity?person={mention.user.id}">'
            f"{escape(words[token])}</a>"
        )
        pieces += [body[last : mention.start], token]
        last = mention.end
    pieces.append(body[last:])
    linker = _MentionLinker(links, words)
    linker.feed(str(render_markdown("".join(pieces))))
    linker.close()
    html = "".join(linker.out)
    attributes = {**ALLOWED_ATTRIBUTES, "a": {*ALLOWED_ATTRIBUTES.get("a", ()), "class"}}
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=attributes,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def _members(team_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User).join(TeamMembership).where(TeamMembership.team_id == team_id).order_by(User.id)
        )
    )


def _check_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise Invalid({"body": ["Write something."]})
    if len(body) > BODY_MAX:
        raise Invalid({"body": [f"Use at most {BODY_MAX} characters (this has {len(body)})."]})
    return body


# Reading ---------------------------------------------------------------------------------------------


def list_comments(task: Task) -> list[Comment]:
    """The task's comments, oldest first, with their authors."""
    return list_on_task(task, Comment, Comment.created_at, load=joinedload(Comment.author))


def get_comment(user: User, comment_id: int) -> tuple[Comment, TeamMembership]:
    """A comment on a live task of one of the user's teams, and that membership; NotFound otherwise."""
    return get_on_task(
        user, Comment, comment_id, joinedload(Comment.task), joinedload(TeamMembership.user), noun="comment"
    )


def can_edit(user: User, comment: Comment, now: datetime | None = None) -> bool:
    return comment.author_id == user.id and (now or utcnow()) - comment.created_at <= EDIT_WINDOW


def require_editable(member: TeamMembership, comment: Comment, now: datetime | None = None) -> None:
    if comment.author_id != member.user_id:
        raise Forbidden("Only its author can edit a comment.")
    if not can_edit(member.user, comment, now):
        raise Forbidden(
            f"Comments can be edited for {int(EDIT_WINDOW.total_seconds() // 60)} minutes after writing them."
        )


def can_delete(member: TeamMembership, comment: Comment) -> bool:
    return comment.author_id == member.user_id or has_role(member, "manager")


# Writing ---------------------------------------------------------------------------------------------


def add_comment(member: TeamMembership, task: Task, body: str, now: datetime | None = None) -> Comment:
    """Comment on a task of the member's team; mentioned members and the task's watchers are notified."""
    if task.team_id != member.team_id or task.deleted_at is not None:
        raise NotFound("No such task.")
    body = _check_body(body)
    mentions = find_mentions(body, _members(task.team_id))
    comment = Comment(
        task_id=task.id,
        author_id=member.user_id,
        body=body,
        body_html=render_body(body, mentions, task.team_id),
        created_at=now or utcnow(),
    )
    db.session.add(comment)
    db.session.flush()
    events.comment_added.send(task, actor=member.user, comment=comment, mentioned={m.user.id for m in mentions})
    db.session.commit()
    return comment


def edit_comment(member: TeamMembership, comment: Comment, body: str, now: datetime | None = None) -> Comment:
    """Only the author, and only within EDIT_WINDOW of writing it; newly mentioned members are notified."""
    now = now or utcnow()
    require_editable(member, comment, now)
    body = _check_body(body)
    members = _members(comment.task.team_id)
    before = {m.user.id for m in find_mentions(comment.body, members)}
    mentions = find_mentions(body, members)
    comment.body, comment.body_html, comment.edited_at = (
        body,
        render_body(body, mentions, comment.task.team_id),
        now,
    )
    events.comment_edited.send(
        comment.task, actor=member.user, comment=comment, mentioned={m.user.id for m in mentions} - before
    )
    db.session.commit()
    return comment


def delete_comment(member: TeamMembership, comment: Comment) -> None:
    """The author or a manager of the team can delete a comment."""
    if not can_delete(member, comment):
        raise Forbidden("Only the author or a team manager can delete a comment.")
    events.comment_deleted.send(comment.task, actor=member.user, comment=comment)
    db.session.delete(comment)
    db.session.commit()
