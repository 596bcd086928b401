"""Features: the list with coverage and forecast, create, read, change (shipping by the ship rules),
delete, and one call that creates the tasks a feature is missing."""

from __future__ import annotations

from flask import url_for

from .. import features, teams
from ..models import Feature
from .core import ProblemResponse, caller, etag, if_match_fails, operation, reply
from .schemas import FeatureCreate, FeatureOut, FeaturePage, FeaturePatch, FeatureQuery, GapsOut, TaskOut

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
