"""Comments, watching and the task's history on the task page."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import TextAreaField

from .. import activity, comments, tasks, watchers
from ..models import Activity, Comment, Task, TeamMembership, User
from .errors import submitted
from .tasks import show as show_task
from .templating import localtime

bp = Blueprint("comments", __name__)


class CommentForm(FlaskForm):
    body = TextAreaField("Comment (Markdown; mention people with @name)")


@bp.before_request
@login_required
def require_login():
    return None


@bp.get("/tasks/<int:task_id>/mentions")
def mention_suggestions(task_id: int):
    """Whom a comment on this task may mention, for the comment box's autocomplete (static/js/mentions.js):
    members of the task's team whose name or email starts with ?q=; another team's task is a 404."""
    _task, member = tasks.get_task(current_user, task_id)
    people = comments.mention_candidates(member, request.args.get("q", ""))
    return jsonify(items=[{"id": person.id, "name": person.name} for person in people])


@dataclass
class Collaboration:
    """What the task page's collaboration section shows."""

    comments: list[Comment]
    history: list[tuple[Activity, str]]
    watchers: list[User]
    watching: bool
    form: CommentForm
    member: TeamMembership

    def can_edit(self, comment: Comment) -> bool:
        return comments.can_edit(current_user, comment)

    def can_delete(self, comment: Comment) -> bool:
        return comments.can_delete(self.member, comment)


@bp.app_template_global()
def collaboration_for(task: Task, member: TeamMembership) -> Collaboration:
    """Loaded in a fixed number of queries; a template global so the task page only needs an include.
    A comment form that failed validation is handed over in `g.comment_form`."""
    history = activity.task_activity(task)
    describe = activity.Describer.for_entries(history, task.team_id)
    people = watchers.watchers_of(task)
    return Collaboration(
        comments=comments.list_comments(task),
        history=[(entry, describe.sentence(entry, localtime)) for entry in history],
        watchers=people,
        watching=any(u.id == current_user.id for u in people),
        form=g.get("comment_form") or CommentForm(formdata=None),
        member=member,
    )


@bp.post("/tasks/<int:task_id>/comments")
def create(task_id: int):
    task, member = tasks.get_task(current_user, task_id)
    form = g.comment_form = CommentForm()  # the task page shows it, with its errors, if it is refused
    with submitted(form, lambda: show_task(task_id)):
        comment = comments.add_comment(member, task, form.body.data or "")
    flash("Comment added.", "success")
    return redirect(url_for("tasks.show", task_id=task.id, _anchor=f"comment-{comment.id}"))


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
def edit(comment_id: int):
    comment, member = comments.get_comment(current_user, comment_id)
    form = CommentForm(obj=comment) if request.method == "GET" else CommentForm()

    def page():
        return render_template("comments/edit.html", comment=comment, form=form, member=member, team=member.team)

    comments.require_editable(member, comment)  # say so before they type
    if request.method == "GET":
        return page()
    with submitted(form, page):
        comments.edit_comment(member, comment, form.body.data or "")
    flash("Comment saved.", "success")
    return redirect(url_for("tasks.show", task_id=comment.task_id, _anchor=f"comment-{comment.id}"))


@bp.post("/comments/<int:comment_id>/delete")
def delete(comment_id: int):
    comment, member = comments.get_comment(current_user, comment_id)
    task_id = comment.task_id
    comments.delete_comment(member, comment)
    flash("Comment deleted.", "success")
    return redirect(url_for("tasks.show", task_id=task_id, _anchor="comments"))


@bp.post("/tasks/<int:task_id>/watch")
def watch(task_id: int):
    task, member = tasks.get_task(current_user, task_id)
    if request.form.get("watch") == "0":
        watchers.unwatch(member, task)
        flash("You no longer watch this task.", "success")
    else:
        watchers.watch(member, task)
        flash("You are watching this task: you will hear about its status, deadline and comments.", "success")
    return redirect(url_for("tasks.show", task_id=task.id))
