"""Errors the REST layer turns into Marathon's status codes and JSON bodies."""

from __future__ import annotations

from typing import Any


class MarathonError(Exception):
    """Base: an HTTP status and the JSON body Marathon answers with."""

    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"message": self.message}


class InvalidJsonError(MarathonError):
    """The body does not read as the RAML type (Play's JsResultException): 422 or 400."""

    def __init__(self, details: list[tuple[str, list[str]]], status: int = 422) -> None:
        super().__init__("Invalid JSON")
        self.details = details
        self.status = status

    def body(self) -> dict[str, Any]:
        return {
            "message": "Invalid JSON",
            "details": [{"path": path, "errors": errors} for path, errors in self.details],
        }


class UnparsableJsonError(MarathonError):
    """The body is not JSON at all (Jackson's JsonParseException): 400."""

    status = 400

    def __init__(self, detail: str) -> None:
        super().__init__("Invalid JSON")
        self.detail = detail

    def body(self) -> dict[str, Any]:
        return {"message": "Invalid JSON", "details": self.detail}


class ValidationError(MarathonError):
    """The object reads but breaks a rule (accord's Failure): 422 `Object is not valid`."""

    status = 422

    def __init__(self, violations: list[tuple[str, str]]) -> None:
        super().__init__("Object is not valid")
        self.violations = violations

    def body(self) -> dict[str, Any]:
        grouped: dict[str, list[str]] = {}
        for path, error in self.violations:
            errors = grouped.setdefault(path, [])
            if error not in errors:
                errors.append(error)
        return {
            "message": "Object is not valid",
            "details": [{"path": path, "errors": errors} for path, errors in grouped.items()],
        }

    def prefixed(self, prefix: str) -> ValidationError:
        """The same violations under `prefix` (a nested app inside a group, say)."""
        return ValidationError(
            [(prefix + ("" if path == "/" else path), error) for path, error in self.violations]
        )


class NotFoundError(MarathonError):
    status = 404


def app_not_found(app_id: str, version: str | None = None) -> NotFoundError:
    suffix = f" in version {version}" if version else ""
    return NotFoundError(f"App '{app_id}' does not exist{suffix}")


def pod_not_found(pod_id: str, version: str | None = None) -> NotFoundError:
    suffix = f" in version {version}" if version else ""
    return NotFoundError(f"Pod '{pod_id}' does not exist{suffix}")


def group_not_found(group_id: str, version: str | None = None) -> NotFoundError:
    suffix = f" in version {version}" if version else ""
    return NotFoundError(f"Group '{group_id}' does not exist{suffix}")


def task_not_found(task_id: str) -> NotFoundError:
    return NotFoundError(f"Task '{task_id}' does not exist")


class ConflictError(MarathonError):
    """A change that contradicts the current state (ConflictingChangeException): 409."""

    status = 409


class AppLockedError(MarathonError):
    """A running deployment holds the run spec (AppLockedException): 409 with its ids."""

    status = 409

    def __init__(self, deployment_ids: list[str]) -> None:
        super().__init__(
            "App is locked by one or more deployments. "
            "Override with the option '?force=true'. "
            "View details at '/v2/deployments/<DEPLOYMENT_ID>'."
        )
        self.deployment_ids = deployment_ids

    def body(self) -> dict[str, Any]:
        return {"message": self.message, "deployments": [{"id": i} for i in self.deployment_ids]}


class BadRequestError(MarathonError):
    status = 400


class UnavailableError(MarathonError):
    status = 503
