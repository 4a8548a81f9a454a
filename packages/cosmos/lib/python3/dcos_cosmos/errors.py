"""Cosmos's errors: the body `{"type", "message", "data"}` and the HTTP status of each.

`type` is the name of Cosmos's error class and `message` its text, word for
word; `data` carries the error's fields (left out when there are none). A
client such as the DC/OS CLI switches on `type` (JsonSchemaMismatch,
AmbiguousAppId, ...), so the names are part of the API.
"""

from __future__ import annotations

from typing import Any

BAD_REQUEST, NOT_FOUND, CONFLICT, SERVER_ERROR, NOT_IMPLEMENTED, BAD_GATEWAY, UNAVAILABLE = (
    400,
    404,
    409,
    500,
    501,
    502,
    503,
)


class CosmosError(Exception):
    """An error Cosmos answers with; subclasses of it are Cosmos's named errors."""

    status = BAD_REQUEST

    def __init__(self, message: str, data: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.data = data

    @property
    def type(self) -> str:
        return type(self).__name__

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.data is not None:
            out["data"] = self.data
        return out


class RequestError(CosmosError):
    """A request Cosmos could not read (finch's errors): the type is given, not the class name."""

    def __init__(self, type_: str, message: str, data: dict[str, Any] | None = None) -> None:
        super().__init__(message, data)
        self._type = type_

    @property
    def type(self) -> str:
        return self._type


def not_present(header: str) -> RequestError:
    return RequestError("not_present", f"Item header '{header}' not present but required")


def not_valid(header: str, rule: str) -> RequestError:
    return RequestError("not_valid", f"Item header '{header}' deemed invalid by rule: {rule}")


def not_parsed(item: str, cause: str) -> RequestError:
    return RequestError("not_parsed", f"Item '{item}' unable to be parsed: {cause}")


def multiple(errors: list[CosmosError]) -> CosmosError:
    if len(errors) == 1:
        return errors[0]
    return RequestError(
        "multiple_errors",
        "Multiple errors while processing request",
        {"errors": [e.body() for e in errors]},
    )


class PackageNotFound(CosmosError):
    def __init__(self, package_name: str) -> None:
        super().__init__(f"Package [{package_name}] not found", {"packageName": package_name})


class VersionNotFound(CosmosError):
    def __init__(self, package_name: str, version: str) -> None:
        super().__init__(
            f"Version [{version}] of package [{package_name}] not found",
            {"packageName": package_name, "packageVersion": version},
        )


class JsonSchemaMismatch(CosmosError):
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("Options JSON failed validation", {"errors": errors})


class PackageAlreadyInstalled(CosmosError):
    status = CONFLICT

    def __init__(self) -> None:
        super().__init__("Package is already installed")


class PackageNotInstalled(CosmosError):
    def __init__(self, package_name: str) -> None:
        super().__init__(
            f"Package [{package_name}] is not installed", {"packageName": package_name}
        )


class MarathonAppNotFound(CosmosError):
    def __init__(self, app_id: str) -> None:
        super().__init__(
            f"Unable to locate service with marathon appId: '{app_id}'", {"appId": app_id}
        )


class AmbiguousAppId(CosmosError):
    def __init__(self, package_name: str, app_ids: list[str]) -> None:
        super().__init__(
            f"Multiple apps named [{package_name}] are installed: [{', '.join(app_ids)}]",
            {"packageName": package_name, "appIds": app_ids},
        )


class UninstallNonExistentAppForPackage(CosmosError):
    def __init__(self, package_name: str, app_id: str) -> None:
        super().__init__(
            f"Package [{package_name}] with id [{app_id}] is not installed",
            {"packageName": package_name, "appId": app_id},
        )


class MultipleFrameworkIds(CosmosError):
    def __init__(
        self, package_name: str, version: str | None, framework_name: str, ids: list[str]
    ) -> None:
        head = f"Uninstalled package [{package_name}]" + (
            f" version [{version}]" if version else ""
        )
        super().__init__(
            f"{head}\nUnable to shutdown [{package_name}] service framework with name "
            f"[{framework_name}] because there are multiple framework ids matching this name: "
            f"[{', '.join(ids)}]",
            {
                "packageName": package_name,
                "packageVersion": version,
                "frameworkName": framework_name,
                "ids": ids,
            },
        )


class MarathonAppDeleteError(CosmosError):
    def __init__(self, app_id: str) -> None:
        super().__init__(f"Error while deleting marathon app '{app_id}'", {"appId": app_id})


class MarathonBadResponse(CosmosError):
    """Marathon refused the app (4xx): its own message, and its details as `errors`."""

    def __init__(self, message: str, details: list[Any] | None) -> None:
        super().__init__(message, None if details is None else {"errors": details})


class MarathonGenericError(CosmosError):
    status = SERVER_ERROR

    def __init__(self, marathon_status: int) -> None:
        super().__init__(
            f"Received response status code {marathon_status} from Marathon",
            {"marathonStatus": marathon_status},
        )


class MarathonBadGateway(CosmosError):
    status = BAD_GATEWAY

    def __init__(self, marathon_status: int) -> None:
        super().__init__(
            f"Received response status code {marathon_status} from Marathon",
            {"marathonStatus": marathon_status},
        )


class ServiceUnavailable(CosmosError):
    status = UNAVAILABLE

    def __init__(self, service_name: str) -> None:
        super().__init__(
            f"Unable to complete request due to service [{service_name}] unavailability",
            {"serviceName": service_name},
        )


class IncompleteUninstall(CosmosError):
    def __init__(self, package_name: str) -> None:
        super().__init__(
            f"Incomplete uninstall of package [{package_name}] due to Mesos unavailability",
            {"packageName": package_name},
        )


class ServiceMarathonTemplateNotFound(CosmosError):
    def __init__(self, package_name: str, version: str) -> None:
        super().__init__(
            f"Package: [{package_name}] version: [{version}] does not have a Marathon "
            "template defined and can not be rendered",
            {"packageName": package_name, "packageVersion": version},
        )


class MarathonTemplateMustBeJsonObject(CosmosError):
    def __init__(self) -> None:
        super().__init__("Rendered Marathon JSON must be a JSON object")


class CirceError(CosmosError):
    """A rendered template (or its labels) that is not the JSON it must be."""

    def __init__(self, message: str) -> None:
        super().__init__(message)


class RepositoryAlreadyPresent(CosmosError):
    def __init__(self, name: str | None, uri: str | None) -> None:
        if name is not None and uri is not None:
            message = (
                f"Repository name [{name}] and URI [{uri}] are both already present in the list"
            )
        elif name is not None:
            message = f"Repository name [{name}] is already present in the list"
        else:
            message = f"Repository URI [{uri}] is already present in the list"
        super().__init__(message, _name_uri(name, uri))


class RepositoryNotPresent(CosmosError):
    def __init__(self, name: str | None, uri: str | None) -> None:
        if name is not None and uri is not None:
            message = f"Neither repository name [{name}] nor URI [{uri}] are present in the list"
        elif name is not None:
            message = f"Repository name [{name}] is not present in the list"
        else:
            message = f"Repository URI [{uri}] is not present in the list"
        super().__init__(message, _name_uri(name, uri))


def _name_uri(name: str | None, uri: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if name is not None:
        out["name"] = name
    if uri is not None:
        out["uri"] = uri
    return out


class RepoNameOrUriMissing(CosmosError):
    def __init__(self) -> None:
        super().__init__("Must specify either the name or URI of the repository")


class RepositoryAddIndexOutOfBounds(CosmosError):
    def __init__(self, attempted: int, max_index: int) -> None:
        super().__init__(
            f"Index out of range: {attempted}", {"attempted": attempted, "max": max_index}
        )


class UnsupportedRepositoryUri(CosmosError):
    def __init__(self, uri: str) -> None:
        super().__init__(
            f"Repository URI [{uri}] uses an unsupported scheme. Only http and https are supported",
            {"uri": uri},
        )


class RepositoryUriSyntax(CosmosError):
    def __init__(self, name: str, uri: str, cause: str) -> None:
        super().__init__(
            f"URI for repository [{name}] has invalid syntax: {uri}",
            {"repository": {"name": name, "uri": uri}, "cause": cause},
        )


class RepositoryUriConnection(CosmosError):
    def __init__(self, name: str, uri: str, cause: str) -> None:
        super().__init__(
            f"Could not access data at URI for repository [{name}]: {uri}",
            {"repository": {"name": name, "uri": uri}, "cause": cause},
        )


class GenericHttpError(CosmosError):
    """The repository answered with a status that is not 200 (Cosmos says 500, naming it)."""

    status = SERVER_ERROR

    def __init__(self, method: str, uri: str, status: int) -> None:
        super().__init__(
            f"Unexpected down stream http error: {method} {uri} {status}",
            {"method": method, "uri": uri, "status": status},
        )


class UnsupportedContentType(CosmosError):
    def __init__(self, supported: list[str], actual: str | None) -> None:
        accepted = "[" + ", ".join(supported) + "]"
        message = (
            f"Unsupported Content-Type: {actual} Accept: {accepted}"
            if actual
            else f"Unspecified Content-Type Accept: {accepted}"
        )
        super().__init__(message, {"supported": supported, "actual": actual})


class ConcurrentAccess(CosmosError):
    def __init__(self) -> None:
        super().__init__("Retry operation. Operation didn't complete due to concurrent access.")


class NotImplemented(CosmosError):
    status = NOT_IMPLEMENTED

    def __init__(self, operation_name: str) -> None:
        super().__init__(
            f"Cosmos has not been configured to support this operation: {operation_name}",
            {"operationName": operation_name},
        )
