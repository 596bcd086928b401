"""Features: the list with coverage and forecast, create, read, change (shipping by the ship rules),
delete, and one call that creates the tasks a feature is missing; the team's definition of done and
category templates that those start from."""

from __future__ import annotations

from flask import url_for

from .. import definition_of_done, features, teams
from ..models import Feature
from .core import ProblemResponse, caller, etag, if_match_fails, operation, reply
from .schemas import (
    DefinitionOfDoneIn,
    DefinitionOfDoneOut,
    FeatureCreate,
    FeatureOut,
    FeaturePage,
    FeaturePatch,
    FeatureQuery,
    GapsOut,
    TaskOut,
    TemplateIn,
    TemplateList,
    TemplateOut,
)

ETAG = {"ETag": 'The feature\'s version in quotes, e.g. "3"; send it back as If-Match.'}
IF_MATCH = {"If-Match": "The ETag you last read; a stale one gets 412 and changes nothing."}
STATES = {"open": ("planned", "active")}


def feature_json(feature: Feature) -> dict:
    """The feature as the API shows it (also inside a 409 problem's `current`)."""
    return FeatureOut.of(features.summary(feature)).model_dump(mode="json")


def _feature_reply(feature: Feature, status: int = 200, **headers: str):
    out = FeatureOut.of(features.summary(feature))
    return reply(out, status, {"ETag": etag(feature.version), **headers})


def _refuse_stale(feature: Feature) -> None:
    if if_match_fails(feature.version):
        detail = f"The feature is at version {feature.version}; read it again and re-apply your change."
        raise ProblemResponse(412, detail, {"ETag": etag(feature.version)}, current=feature_json(feature))


@operation("GET", "/teams/<id:team_id>/features", summary="A team's features, with coverage and forecast",
           tag="Features", response=FeaturePage, query=FeatureQuery)
def list_features(team_id: int, query: FeatureQuery):
    """By target date (undated last). Each says, per category, how many of its tasks there are and how
    many are done, which required categories have no task (`missing`), and its forecast."""
    teams.membership_for(caller(), team_id)
    states = STATES.get(query.state, (query.state,)) if query.state else None
    found = features.list_features(team_id, states)
    start = (query.page - 1) * query.per_page
    shown = features.summarise(found[start : start + query.per_page])
    items = [FeatureOut.of(s) for s in shown]
    return reply(FeaturePage(items=items, total=len(found), page=query.page, per_page=query.per_page))


@operation("POST", "/teams/<id:team_id>/features", summary="Create a feature", tag="Features",
           response=FeatureOut, status=201, body=FeatureCreate,
           headers={"Location": "The new feature's URL.", **ETAG})
def create_feature(team_id: int, body: FeatureCreate):
    """Any member creates features. Without `required_categories` the feature requires the team's
    definition of done; without `owner_id` the caller owns it."""
    member = teams.membership_for(caller(), team_id)
    data = body.model_dump(exclude_unset=True)
    if data.get("required_categories", []) is None:
        data.pop("required_categories")  # null: the team's definition of done, as when left out
    feature = features.create_feature(member, data)
    return _feature_reply(feature, 201, Location=url_for("api.get_feature", feature_id=feature.id))


@operation("GET", "/features/<id:feature_id>", summary="One feature", tag="Features", response=FeatureOut,
           headers=ETAG)
def get_feature(feature_id: int):
    """A feature of one of the caller's teams."""
    feature, _member = features.get_feature(caller(), feature_id)
    return _feature_reply(feature)


@operation("PATCH", "/features/<id:feature_id>", summary="Change or ship a feature", tag="Features",
           response=FeatureOut, body=FeaturePatch, errors=[403, 409, 412], headers=ETAG,
           request_headers=IF_MATCH)
def patch_feature(feature_id: int, body: FeaturePatch):
    """A partial update. `state: "shipped"` while a required category has no task or a task is open is
    a 409 saying what stands between the feature and done, unless a manager gives `ship_reason`
    (kept in the feature's history; a member giving one gets 403). Guard the change with `If-Match`
    (412 when stale) or the `version` you read (409 with `current` when stale)."""
    feature, member = features.get_feature(caller(), feature_id)
    _refuse_stale(feature)
    data = body.model_dump(exclude_unset=True)
    features.update_feature(member, feature, data, expected_version=data.pop("version", None))
    return _feature_reply(feature)


@operation("DELETE", "/features/<id:feature_id>", summary="Delete a feature", tag="Features", status=204,
           errors=[403, 412], request_headers=IF_MATCH)
def delete_feature(feature_id: int):
    """Managers delete features; the feature's tasks stay, without a feature."""
    feature, member = features.get_feature(caller(), feature_id)
    _refuse_stale(feature)
    features.delete_feature(member, feature)
    return reply(None, 204)


@operation("POST", "/features/<id:feature_id>/fill-gaps", summary="Create the tasks a feature is missing",
           tag="Features", response=GapsOut, errors=[422])
def fill_gaps(feature_id: int):
    """One task per required category that has none, from the team's category templates (title pattern,
    description, checklist, assignee, estimate; without an assignee the feature's owner does it). Their
    deadlines are planned back from the end of the target date through the assignees' working hours in
    the order the work is done (build, tests, security review, API docs, deployment last), each due when
    the next must start; `at_risk` and `reason` say when they cannot all be met. Nothing missing: an
    empty list. A shipped or dropped feature, or a target date with no working time left: 422."""
    feature, member = features.get_feature(caller(), feature_id)
    filled = features.fill_gaps(member, feature)
    return reply(GapsOut(created=[TaskOut.of(task) for task in filled.created], at_risk=filled.at_risk,
                         reason=filled.reason))


# The definition of done and the category templates --------------------------------------------------------


def _done_reply(categories):
    return reply(DefinitionOfDoneOut(categories=[c.slug for c in categories]))


@operation("GET", "/teams/<id:team_id>/definition-of-done", summary="The team's definition of done",
           tag="Features", response=DefinitionOfDoneOut)
def get_definition_of_done(team_id: int):
    """The categories a new feature requires unless its creator chooses others (until a manager sets
    them: server-code, testing, api-docs and security)."""
    teams.membership_for(caller(), team_id)
    return _done_reply(definition_of_done.definition_of_done(team_id))


@operation("PUT", "/teams/<id:team_id>/definition-of-done", summary="Set the team's definition of done",
           tag="Features", response=DefinitionOfDoneOut, body=DefinitionOfDoneIn, errors=[403])
def put_definition_of_done(team_id: int, body: DefinitionOfDoneIn):
    """Managers and owners; features that exist keep their own required categories. An unknown or
    archived category: 422."""
    member = teams.membership_for(caller(), team_id)
    return _done_reply(definition_of_done.set_definition_of_done(member, body.categories))


@operation("GET", "/teams/<id:team_id>/templates", summary="The team's task templates", tag="Features",
           response=TemplateList)
def list_templates(team_id: int):
    """One per active category: how the task that fills that category's gap for a feature starts (the
    team's own, or the built-in one)."""
    teams.membership_for(caller(), team_id)
    return reply(TemplateList(items=[TemplateOut.of(t) for t in definition_of_done.templates_of(team_id)]))


@operation("PUT", "/teams/<id:team_id>/templates/<id:category_id>", summary="Set a category's task template",
           tag="Features", response=TemplateOut, body=TemplateIn, errors=[403])
def put_template(team_id: int, category_id: int, body: TemplateIn):
    """Managers and owners. The assignee must be a member of the team (422 otherwise); another team's
    category: 404."""
    member = teams.membership_for(caller(), team_id)
    template = definition_of_done.set_template(member, category_id, body.model_dump())
    return reply(TemplateOut.of(template))


@operation("DELETE", "/teams/<id:team_id>/templates/<id:category_id>",
           summary="Go back to a category's built-in template", tag="Features", response=TemplateOut,
           errors=[403])
def reset_template(team_id: int, category_id: int):
    """Managers and owners; answers with the built-in template now in use."""
    member = teams.membership_for(caller(), team_id)
    return reply(TemplateOut.of(definition_of_done.reset_template(member, category_id)))
