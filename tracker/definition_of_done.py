"""A team's definition of done and its category templates, both edited by managers.

The definition of done is the set of categories (responsibilities) a new feature requires unless its
creator chooses others: until a manager sets it, DEFAULT_DEFINITION_OF_DONE. A category's template is
how the task that covers the category for a feature starts (a title pattern, and a description whose
"- [ ] …" lines become the task's checklist): the team's own, else a built-in one."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, insert, select

from .errors import Invalid, NotFound
from .extensions import db
from .models import Category, CategoryTemplate, TeamMembership, utcnow
from .models import definition_of_done as done_table
from .teams import active_categories, require_role
from .vocabulary import (
    DEFAULT_DEFINITION_OF_DONE,
    DEFAULT_TEMPLATE_TITLE,
    DEFAULT_TEMPLATES,
    DESCRIPTION_MAX,
    TITLE_MAX,
)


def definition_of_done(team_id: int) -> list[Category]:
    """The categories a new feature of the team requires, in the team's order."""
    stored = list(
        db.session.scalars(
            select(Category)
            .join(done_table, done_table.c.category_id == Category.id)
            .where(done_table.c.team_id == team_id)
            .order_by(Category.position, Category.id)
        )
    )
    if stored:
        return stored
    return list(
        db.session.scalars(
            select(Category)
            .where(Category.team_id == team_id, Category.slug.in_(DEFAULT_DEFINITION_OF_DONE),
                   Category.archived.is_(False))
            .order_by(Category.position, Category.id)
        )
    )


def categories_named(
    team_id: int, slugs: Iterable[str], field: str, allowed: Iterable[int] = ()
) -> list[Category]:
    """The team's categories with these slugs, in the team's order; an unknown slug, or an archived
    category not among `allowed` (ids already chosen), is an Invalid on `field`."""
    slugs = list(dict.fromkeys(str(s) for s in slugs))
    found = {
        c.slug: c
        for c in db.session.scalars(
            select(Category).where(Category.team_id == team_id, Category.slug.in_(slugs))
        )
    }
    errors = [f"Unknown category “{slug}”." for slug in slugs if slug not in found]
    errors += [f"The category “{c.name}” is archived." for c in found.values()
               if c.archived and c.id not in set(allowed)]
    if errors:
        raise Invalid({field: errors})
    return sorted(found.values(), key=lambda c: (c.position, c.id))


def set_definition_of_done(member: TeamMembership, slugs: Iterable[str]) -> list[Category]:
    """Replace the team's definition of done (features already created keep their own requirements)."""
    require_role(member, "manager", "change the definition of done")
    categories = categories_named(member.team_id, slugs, "categories")
    if not categories:
        raise Invalid({"categories": ["Choose at least one category that every feature needs."]})
    db.session.execute(delete(done_table).where(done_table.c.team_id == member.team_id))
    rows = [{"team_id": member.team_id, "category_id": c.id} for c in categories]
    db.session.execute(insert(done_table), rows)
    db.session.commit()
    return categories


# Templates ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    category: Category
    title_pattern: str
    description: str
    customised: bool  # the team's own, rather than the built-in one

    def title_for(self, feature_title: str) -> str:
        """The title with {feature} and {category} filled in (no other braces are read, so a title may
        hold any text)."""
        title = self.title_pattern.replace("{feature}", feature_title)
        title = title.replace("{category}", self.category.name)
        return " ".join(title.split())[:TITLE_MAX]


def _template(category: Category, stored: CategoryTemplate | None) -> Template:
    if stored is not None:
        return Template(category, stored.title_pattern, stored.description, True)
    title, description = DEFAULT_TEMPLATES.get(category.slug, (DEFAULT_TEMPLATE_TITLE, ""))
    return Template(category, title, description, False)


def templates_of(team_id: int, categories: list[Category] | None = None) -> list[Template]:
    """The template of each of the team's active categories (or of `categories`), in two queries."""
    if categories is None:
        categories = active_categories(team_id)
    stored = {
        t.category_id: t
        for t in db.session.scalars(
            select(CategoryTemplate).where(CategoryTemplate.category_id.in_([c.id for c in categories]))
        )
    }
    return [_template(c, stored.get(c.id)) for c in categories]


def _category(member: TeamMembership, category_id: int) -> Category:
    category = db.session.get(Category, category_id)
    if category is None or category.team_id != member.team_id:
        raise NotFound("No such category.")
    return category


def set_template(member: TeamMembership, category_id: int, title_pattern: str, description: str) -> Template:
    """Store the team's template for a category."""
    require_role(member, "manager", "edit the task templates")
    category = _category(member, category_id)
    title_pattern = " ".join((title_pattern or "").split())
    errors: dict[str, list[str]] = {}
    if not title_pattern:
        errors["title_pattern"] = ["Enter a title; {feature} stands for the feature's title."]
    elif len(title_pattern) > TITLE_MAX:
        errors["title_pattern"] = [f"Use at most {TITLE_MAX} characters."]
    if len(description or "") > DESCRIPTION_MAX:
        errors["description"] = [f"Use at most {DESCRIPTION_MAX} characters."]
    if errors:
        raise Invalid(errors)
    stored = db.session.get(CategoryTemplate, category.id) or CategoryTemplate(category_id=category.id)
    stored.title_pattern, stored.description, stored.updated_at = title_pattern, description or "", utcnow()
    db.session.add(stored)
    db.session.commit()
    return _template(category, stored)


def reset_template(member: TeamMembership, category_id: int) -> Template:
    """Go back to the built-in template of a category."""
    require_role(member, "manager", "edit the task templates")
    category = _category(member, category_id)
    db.session.execute(delete(CategoryTemplate).where(CategoryTemplate.category_id == category.id))
    db.session.commit()
    return _template(category, None)
