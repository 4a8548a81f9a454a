"""What each Cosmos RPC does, given its decoded request; the HTTP layer is in api.py.

Installed packages are not stored anywhere by Cosmos: an installed package is
a Marathon app carrying Cosmos's labels (render.py), so `list`, `uninstall`
and `service/describe` ask Marathon and follow what it says.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from . import errors, render
from .cluster import Marathon, Mesos
from .repository import PackageRepository, RepositoryCache, RepositoryList
from .universe import Package, package_from_envelope, package_from_metadata

log = logging.getLogger("cosmos")
JSON = dict[str, Any]

# PACKAGE_MANAGEMENT and the rest are Cosmos's own (1.10); DC/OS's CLI also
# looks for LOGGING_V2 and METRICS, which this cluster's dcos-log and
# dcos-metrics provide.
CAPABILITIES = [
    "PACKAGE_MANAGEMENT",
    "SUPPORT_CLUSTER_REPORT",
    "METRONOME",
    "LOGGING",
    "LOGGING_V2",
    "METRICS",
]


@dataclass
class Cosmos:
    repositories: RepositoryList
    cache: RepositoryCache
    marathon: Marathon
    mesos: Mesos

    # -- the repositories' packages ------------------------------------------

    def _sources(self) -> list[PackageRepository]:
        sources = self.repositories.current()
        self.cache.forget_others(sources)
        return sources

    def find_package(self, name: str, version: str | None) -> tuple[Package, str]:
        """The package from the first repository that has it (and its URI)."""
        for source in self._sources():
            try:
                return self.cache.get(source).find(name, version), source.uri
            except (errors.PackageNotFound, errors.VersionNotFound):
                continue
        if version is not None:
            raise errors.VersionNotFound(name, version)
        raise errors.PackageNotFound(name)

    def packages_named(self, name: str) -> list[Package]:
        for source in self._sources():
            found = self.cache.get(source).by_name(name)
            if found:
                return found
        raise errors.PackageNotFound(name)

    # -- package RPCs --------------------------------------------------------

    def capabilities(self) -> JSON:
        return {"capabilities": [{"name": n} for n in CAPABILITIES]}

    def search(self, query: str | None) -> JSON:
        results: dict[str, JSON] = {}
        for source in self._sources():
            for result in self.cache.get(source).search(query):
                results.setdefault(result["name"], result)  # the first repository wins
        ordered = sorted(
            results.values(), key=lambda r: (not r.get("selected", False), r["name"].lower())
        )
        return {"packages": ordered}

    def describe(self, name: str, version: str | None) -> Package:
        return self.find_package(name, version)[0]

    def list_versions(self, name: str) -> JSON:
        return {"results": {p.version: str(p.release_version) for p in self.packages_named(name)}}

    def render(
        self, name: str, version: str | None, user_options: JSON | None, app_id: str | None
    ) -> JSON:
        pkg, source = self.find_package(name, version)
        try:
            app = render.marathon_app(pkg, source, user_options, app_id)
        except render.MissingMarathonTemplate:
            raise errors.ServiceMarathonTemplateNotFound(pkg.name, pkg.version) from None
        return {"marathonJson": app}

    def install(
        self,
        name: str,
        version: str | None,
        user_options: JSON | None,
        app_id: str | None,
        authorization: str | None,
    ) -> JSON:
        """The v2 install response; the v1 one is made from it (api.py)."""
        pkg, source = self.find_package(name, version)
        out: JSON = {"packageName": pkg.name, "packageVersion": pkg.version}
        try:
            app = render.marathon_app(pkg, source, user_options, app_id)
        except render.MissingMarathonTemplate:
            app = None
        if app is not None:
            created = self.marathon.create_app(app, authorization)
            out["appId"] = _app_id(str(created.get("id") or app.get("id") or ""))
        if pkg.get("postInstallNotes") is not None:
            out["postInstallNotes"] = pkg.get("postInstallNotes")
        if pkg.cli is not None:
            out["cli"] = pkg.cli
        return out

    def list_installed(
        self, name: str | None, app_id: str | None, authorization: str | None
    ) -> JSON:
        installs: list[JSON] = []
        for app in self.marathon.list_apps(authorization):
            labels = app.get("labels") or {}
            package_name = labels.get(render.NAME_LABEL)
            if package_name is None:
                continue
            this_id = _app_id(str(app.get("id", "")))
            if (name is not None and name != package_name) or (
                app_id is not None and app_id != this_id
            ):
                continue
            information = installed_information(labels)
            if information is not None:
                installs.append({"appId": this_id, "packageInformation": information})
        installs.sort(
            key=lambda i: (i["packageInformation"]["packageDefinition"]["name"], i["appId"])
        )
        return {"packages": installs}

    def uninstall(
        self, name: str, app_id: str | None, remove_all: bool, authorization: str | None
    ) -> JSON:
        if app_id is not None:
            app = self.marathon.get_app(app_id, authorization)
            if app is None:
                raise errors.UninstallNonExistentAppForPackage(name, app_id)
            apps = [app]
        else:
            apps = self.marathon.list_apps(authorization)
        targets = [a for a in apps if (a.get("labels") or {}).get(render.NAME_LABEL) == name]
        if not targets:
            raise errors.PackageNotInstalled(name)
        if len(targets) > 1 and not remove_all:
            raise errors.AmbiguousAppId(name, [_app_id(str(a.get("id", ""))) for a in targets])
        results = []
        for app in targets:
            labels = app.get("labels") or {}
            this_id = _app_id(str(app.get("id", "")))
            version = labels.get(render.VERSION_LABEL)
            self.marathon.delete_app(this_id, authorization)
            framework = labels.get(render.FRAMEWORK_NAME_LABEL)
            if framework:
                self._teardown(name, version, framework, authorization)
            result: JSON = {"packageName": name, "appId": this_id}
            if version is not None:
                result["packageVersion"] = version
            notes = self._post_uninstall_notes(name)
            if notes is not None:
                result["postUninstallNotes"] = notes
            results.append(result)
        return {"results": results}

    def _teardown(
        self, name: str, version: str | None, framework: str, authorization: str | None
    ) -> None:
        try:
            ids = self.mesos.framework_ids(framework, authorization)
            if len(ids) > 1:
                raise errors.MultipleFrameworkIds(name, version, framework, ids)
            for framework_id in ids:
                self.mesos.teardown(framework_id, authorization)
        except errors.ServiceUnavailable as exc:
            raise errors.IncompleteUninstall(name) from exc

    def _post_uninstall_notes(self, name: str) -> str | None:
        try:
            notes = self.find_package(name, None)[0].get("postUninstallNotes")
        except errors.CosmosError:
            return None
        return None if notes is None else str(notes)

    def service_describe(self, app_id: str, authorization: str | None) -> JSON:
        app = self.marathon.get_app(app_id, authorization)
        if app is None:
            raise errors.MarathonAppNotFound(app_id)
        labels = app.get("labels") or {}
        pkg = None
        if render.DEFINITION_LABEL in labels:
            pkg = package_from_envelope(render.decode_label(labels[render.DEFINITION_LABEL]))
        if pkg is None:
            name, version = labels.get(render.NAME_LABEL), labels.get(render.VERSION_LABEL)
            if name is None or version is None:
                raise errors.CosmosError(
                    "The name and version of the service were not found in the labels"
                )
            pkg = self.find_package(name, version)[0]
        upgrades: list[str] = []
        downgrades: list[str] = []
        for source in self._sources():
            for candidate in self.cache.get(source).by_name(pkg.name):
                if candidate.can_upgrade_from(pkg.version):
                    upgrades.append(candidate.version)
                if pkg.can_downgrade_to(candidate.version) and candidate.version not in downgrades:
                    downgrades.append(candidate.version)
        return {"package": pkg.definition, "upgradesTo": upgrades, "downgradesTo": downgrades}

    # -- repository RPCs -----------------------------------------------------

    def repository_list(self) -> JSON:
        return {"repositories": [r.as_json() for r in self._sources()]}

    def repository_add(self, name: str, uri: str, index: int | None) -> JSON:
        scheme = uri.split(":", 1)[0].lower() if ":" in uri else ""
        if scheme not in ("http", "https"):
            raise errors.UnsupportedRepositoryUri(uri)
        listed = self.repositories.add(PackageRepository(name, uri), index)
        return {"repositories": [r.as_json() for r in listed]}

    def repository_delete(self, name: str | None, uri: str | None) -> JSON:
        listed = self.repositories.delete(name, uri)
        self.cache.forget_others(listed)
        return {"repositories": [r.as_json() for r in listed]}


def installed_information(labels: JSON) -> JSON | None:
    """What `list` shows of an app: from its definition label, else its metadata label."""
    if render.DEFINITION_LABEL in labels:
        try:
            pkg = package_from_envelope(render.decode_label(labels[render.DEFINITION_LABEL]))
        except ValueError:
            pkg = None
        if pkg is not None:
            return pkg.installed_information()
    if render.METADATA_LABEL in labels:
        try:
            return package_from_metadata(render.decode_label(labels[render.METADATA_LABEL]))
        except ValueError:
            return None
    return None


def _app_id(value: str) -> str:
    """Marathon app IDs as Cosmos compares them: always with the leading slash."""
    return value if value.startswith("/") else "/" + value


def install_response_v1(v2: JSON) -> JSON:
    if "appId" not in v2:
        raise errors.ServiceMarathonTemplateNotFound(v2["packageName"], v2["packageVersion"])
    return {
        "packageName": v2["packageName"],
        "packageVersion": v2["packageVersion"],
        "appId": v2["appId"],
    }
