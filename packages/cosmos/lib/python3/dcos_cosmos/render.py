"""Rendering a package into its Marathon app, as Cosmos's install and render do.

The options are the package's schema defaults with the user's over them,
validated against the schema; the template is rendered over them plus the
package's `resource`; the result must be a JSON object whose `labels` are all
strings. Cosmos then sets the app's `id` (when the request names one) and the
labels by which it later recognises the app as a package:

    DCOS_PACKAGE_METADATA     base64 of the package's metadata (details and images)
    DCOS_PACKAGE_NAME         the package's name
    DCOS_PACKAGE_VERSION      its version
    DCOS_PACKAGE_SOURCE       the URI of the repository it came from
    DCOS_PACKAGE_OPTIONS      base64 of the options the user gave
    DCOS_PACKAGE_DEFINITION   base64 of the whole definition in a storage envelope

Packages set DCOS_PACKAGE_FRAMEWORK_NAME themselves, in their template.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from . import errors, mustache, options
from .universe import Package

JSON = dict[str, Any]

METADATA_LABEL = "DCOS_PACKAGE_METADATA"
NAME_LABEL = "DCOS_PACKAGE_NAME"
VERSION_LABEL = "DCOS_PACKAGE_VERSION"
SOURCE_LABEL = "DCOS_PACKAGE_SOURCE"
OPTIONS_LABEL = "DCOS_PACKAGE_OPTIONS"
DEFINITION_LABEL = "DCOS_PACKAGE_DEFINITION"
FRAMEWORK_NAME_LABEL = "DCOS_PACKAGE_FRAMEWORK_NAME"


class MissingMarathonTemplate(Exception):
    """The package has no Marathon template: install answers without an app, render refuses."""


def encode_label(value: Any) -> str:
    """A JSON value as Cosmos puts it in a label: compact, nulls dropped, base64."""
    text = json.dumps(_drop_nulls(value), separators=(",", ":"), ensure_ascii=False)
    return base64.b64encode(text.encode("utf-8")).decode()


def decode_label(value: str) -> Any:
    return json.loads(base64.b64decode(value))


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def check_options(pkg: Package, merged: JSON) -> None:
    """Raise JsonSchemaMismatch when the merged options do not fit the package's schema."""
    if not merged:
        return
    if pkg.config is None:
        raise errors.JsonSchemaMismatch(
            [{"message": "No schema available to validate the provided options"}]
        )
    problems = options.validate(merged, pkg.config)
    if problems:
        raise errors.JsonSchemaMismatch(problems)


def marathon_app(
    pkg: Package, source_uri: str, user_options: JSON | None, app_id: str | None
) -> JSON:
    """The app definition Cosmos would create for `pkg` with `user_options`."""
    template = pkg.marathon_template
    if template is None:
        raise MissingMarathonTemplate(pkg.name)
    merged = options.merged_options(pkg.config, user_options)
    check_options(pkg, merged)
    context = merged
    if pkg.resource is not None:
        context = options.merge(context, {"resource": pkg.resource})
    try:
        rendered_text = mustache.render(template, context)
    except mustache.TemplateError as exc:
        raise errors.CirceError(f"the package's Marathon template is invalid: {exc}") from exc
    try:
        rendered = json.loads(rendered_text)
    except ValueError as exc:
        raise errors.CirceError(str(exc)) from exc
    if not isinstance(rendered, dict):
        raise errors.MarathonTemplateMustBeJsonObject()
    labels = rendered.get("labels", {})
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        raise errors.CirceError("Attempt to decode value on failed cursor: DownField(labels)")
    if app_id is not None:
        rendered["id"] = app_id
    rendered["labels"] = {
        **labels,
        METADATA_LABEL: encode_label(pkg.metadata_label()),
        NAME_LABEL: pkg.name,
        VERSION_LABEL: pkg.version,
        SOURCE_LABEL: source_uri,
        OPTIONS_LABEL: encode_label(user_options or {}),
        DEFINITION_LABEL: encode_label(pkg.storage_envelope()),
    }
    return rendered
