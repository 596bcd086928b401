"""WTForms for the HTML pages. Forms parse types; the domain functions own the business rules."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    FloatField,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, InputRequired, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..models import PRIORITIES, ROLES, STATUSES
from ..recurrence import PRESETS
from ..reminders import LEAD_TIMES_MAX, UNITS



def choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def optional_id(value):
    """A select's value as a row id, or None for its empty choice."""
    return int(value) if value not in (None, "", "None") else None


WEEKDAYS = choices(enumerate(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), start=1))
STATUS_CHOICES = choices((s, s.replace("_", " ").capitalize()) for s in STATUSES)
PRIORITY_CHOICES = choices((p, p.capitalize()) for p in PRIORITIES)
ROLE_CHOICES = choices((r, r.capitalize()) for r in ROLES)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RegisterForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired()])
    name = StringField("Name", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])
    confirm = PasswordField(
        "Repeat password", validators=[DataRequired(), EqualTo("password", "The passwords differ.")]
    )
    # No default: the page's script picks the browser's zone, and without it the person picks one (a zone
    # left at UTC by accident would put every deadline hours off).
    timezone = SelectField("Time zone", default="", validators=[DataRequired("Choose your time zone.")],
                           render_kw={"data-browser-timezone": ""})


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])
    remember = BooleanField("Remember me")


class TwoFactorCodeForm(FlaskForm):
    """A code from the authenticator app, or a recovery code (login step, enrolment, new codes)."""

    code = StringField("Code", validators=[DataRequired()])


class TwoFactorDisableForm(FlaskForm):
    password = PasswordField("Your password", validators=[DataRequired()])
    code = StringField("Code from your app, or a recovery code", validators=[DataRequired()])


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField("New password", validators=[DataRequired()])
    confirm = PasswordField(
        "Repeat new password",
        validators=[DataRequired(), EqualTo("new_password", "The passwords differ.")],
    )


class ProfileForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired()])
    timezone = SelectField("Time zone")
    work_days = MultiCheckboxField("Working days", choices=WEEKDAYS, coerce=int)
    work_start = TimeField("Working day starts", validators=[InputRequired()])
    work_end = TimeField("Working day ends", validators=[InputRequired()])


class TeamForm(FlaskForm):
    name = StringField("Team name", validators=[DataRequired()])


class TeamSettingsForm(FlaskForm):
    name = StringField("Team name", validators=[DataRequired()])
    urgency_window_hours = IntegerField("Urgency window (hours)", validators=[InputRequired()])
    # Optional: a form without it leaves the requirement as it is.
    two_factor_required = SelectField(
        "Two-factor authentication required of", validators=[Optional()],
        choices=choices([("nobody", "Nobody"), ("managers", "Managers, owners"), ("everyone", "Everyone")]),
    )


class InviteForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired()])
    role = SelectField("Role", choices=ROLE_CHOICES, default="member")


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)


class CategoryForm(FlaskForm):
    name = StringField("Category name", validators=[DataRequired()])


class TaskForm(FlaskForm):
    title = StringField("Title")
    description = TextAreaField("Description (Markdown)")
    category = SelectField("Category")
    status = SelectField("Status", choices=STATUS_CHOICES, default="todo")
    priority = SelectField("Priority", choices=PRIORITY_CHOICES, default="medium")
    due_date = DateField("Deadline date", validators=[Optional()])
    due_time = TimeField("Deadline time (optional)", validators=[Optional()])
    start_date = DateField("Start date", validators=[Optional()])
    estimate_hours = FloatField("Estimate (hours)", validators=[Optional()])
    assignee_id = SelectField("Assignee", coerce=lambda v: int(v) if v not in (None, "", "None") else None)
    labels = StringField("Labels (comma-separated)")
    blocked_by = StringField("Blocked by (task numbers, e.g. 12, 15)")
    recurrence = SelectField("Repeats", default="", choices=choices(
        [("", "Does not repeat"), *PRESETS.items(), ("custom", "Another rule (RRULE, below)")]))
    recurrence_rule = StringField("Rule (RFC 5545 RRULE, e.g. FREQ=MONTHLY;BYDAY=2TU;COUNT=6)")
    # The domain checks that the feature is the team's; an absent field leaves the task's feature alone.
    feature_id = SelectField("Feature", coerce=optional_id, validate_choice=False)
    version = HiddenField()


class LeadTimeRow(Form):
    """One lead time of the reminders form (a plain Form: the form around it carries the CSRF token)."""

    amount = IntegerField("Amount", validators=[Optional()])
    unit = SelectField("Unit", choices=choices((unit, unit) for unit in UNITS), default="hours")
    counted = SelectField("Counted in", default="calendar",
                          choices=choices([("calendar", "calendar time"), ("working", "working time")]))


class RemindersForm(FlaskForm):
    rows = FieldList(FormField(LeadTimeRow), min_entries=LEAD_TIMES_MAX, max_entries=LEAD_TIMES_MAX)


class TokenForm(FlaskForm):
    label = StringField("Label (what the token is for)")


class TimeEntryForm(FlaskForm):
    hours = FloatField("Hours", validators=[InputRequired()])
    spent_on = DateField("Day", validators=[InputRequired()])
    note = StringField("Note (optional)")


class FeatureForm(FlaskForm):
    title = StringField("Title")
    description = TextAreaField("Description (Markdown)")
    owner_id = SelectField("Owner", coerce=optional_id)
    target_date = DateField("Target date (the release day)", validators=[Optional()])
    state = SelectField("State")
    required_categories = MultiCheckboxField("Required categories (what done means for this feature)")
    version = HiddenField()


class ShipForm(FlaskForm):
    reason = TextAreaField("Reason to ship with work left (managers only; kept in the history)")
    version = HiddenField()


class DefinitionOfDoneForm(FlaskForm):
    categories = MultiCheckboxField("Every new feature needs work in")


class TemplateForm(FlaskForm):
    title_pattern = StringField("Task title ({feature} stands for the feature's title)")
    description = TextAreaField("Description; its “- [ ] …” lines become the checklist")
    assignee_id = SelectField("Done by", coerce=lambda v: int(v) if v not in (None, "", "None") else None)
    estimate_hours = FloatField("Estimate (hours; empty: the built-in one)", validators=[Optional()])
