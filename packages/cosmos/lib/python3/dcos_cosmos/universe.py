"""Universe package definitions (packaging versions 2.0, 3.0 and 4.0) and their views.

A repository (`{"packages": [...]}`, media type
`application/vnd.dcos.universe.repo+json;version=v4`) lists package
definitions; Cosmos keeps them sorted by name and release version, newest
first, so the first one of a name is its current version. The functions here
turn a definition into what each RPC answers: a search result, a v2 or v3
describe body, the package information `list` shows, the labels an install
writes.
"""

from __future__ import annotations

import base64
import gzip
import json
from dataclasses import dataclass
from typing import Any

from . import errors, mediatypes

JSON = dict[str, Any]

PACKAGING_VERSIONS = ("2.0", "3.0", "4.0")
# The fields of each packaging version, in the order Cosmos writes them; a
# repository's other fields (lastUpdated, ...) are dropped, as Cosmos drops them.
_COMMON_HEAD = (
    "packagingVersion",
    "name",
    "version",
    "releaseVersion",
    "maintainer",
    "description",
)
_NOTES = ("preInstallNotes", "postInstallNotes", "postUninstallNotes", "licenses")
FIELDS = {
    "2.0": (
        *_COMMON_HEAD,
        "marathon",
        "tags",
        "selected",
        "scm",
        "website",
        "framework",
        *_NOTES,
        "resource",
        "config",
        "command",
    ),
    "3.0": (
        *_COMMON_HEAD,
        "tags",
        "selected",
        "scm",
        "website",
        "framework",
        *_NOTES,
        "minDcosReleaseVersion",
        "marathon",
        "resource",
        "config",
        "command",
    ),
    "4.0": (
        *_COMMON_HEAD,
        "tags",
        "selected",
        "scm",
        "website",
        "framework",
        *_NOTES,
        "minDcosReleaseVersion",
        "marathon",
        "resource",
        "config",
        "upgradesFrom",
        "downgradesTo",
    ),
}
REQUIRED = ("packagingVersion", "name", "version", "releaseVersion", "maintainer", "description")


class InvalidPackage(ValueError):
    pass


@dataclass(frozen=True)
class Package:
    """One package definition, as the repository gave it (unknown fields dropped)."""

    definition: JSON

    @classmethod
    def parse(cls, raw: Any) -> Package:
        if not isinstance(raw, dict):
            raise InvalidPackage("a package definition must be a JSON object")
        packaging = raw.get("packagingVersion")
        if packaging not in PACKAGING_VERSIONS:
            raise InvalidPackage(
                f"packagingVersion {packaging!r} is not one of {', '.join(PACKAGING_VERSIONS)}"
            )
        missing = [k for k in REQUIRED if k not in raw]
        if missing:
            raise InvalidPackage(f"package {raw.get('name')!r} lacks {', '.join(missing)}")
        release = raw["releaseVersion"]
        if isinstance(release, bool) or not isinstance(release, int) or release < 0:
            raise InvalidPackage(
                f"Expected integer value >= 0 for release version, but found [{release}]"
            )
        if packaging == "2.0" and "marathon" not in raw:
            raise InvalidPackage(f"package {raw['name']!r} (packaging 2.0) lacks marathon")
        fields = FIELDS[packaging]
        definition = {k: raw[k] for k in fields if k in raw and raw[k] is not None}
        definition.setdefault("tags", [])
        return cls(definition)

    # -- the definition's fields --------------------------------------------

    @property
    def name(self) -> str:
        return str(self.definition["name"])

    @property
    def version(self) -> str:
        return str(self.definition["version"])

    @property
    def release_version(self) -> int:
        return int(self.definition["releaseVersion"])

    @property
    def packaging_version(self) -> str:
        return str(self.definition["packagingVersion"])

    def get(self, key: str, default: Any = None) -> Any:
        return self.definition.get(key, default)

    @property
    def config(self) -> JSON | None:
        config = self.definition.get("config")
        return config if isinstance(config, dict) else None

    @property
    def resource(self) -> JSON | None:
        resource = self.definition.get("resource")
        return resource if isinstance(resource, dict) else None

    @property
    def images(self) -> JSON | None:
        images = (self.resource or {}).get("images")
        return images if isinstance(images, dict) else None

    @property
    def cli(self) -> JSON | None:
        if self.packaging_version == "2.0":
            return None
        cli = (self.resource or {}).get("cli")
        return cli if isinstance(cli, dict) else None

    @property
    def marathon_template(self) -> str | None:
        """The app's mustache template (v2AppMustacheTemplate is base64)."""
        marathon = self.definition.get("marathon")
        if not isinstance(marathon, dict) or not marathon.get("v2AppMustacheTemplate"):
            return None
        return base64.b64decode(marathon["v2AppMustacheTemplate"]).decode("utf-8")

    def can_upgrade_from(self, version: str) -> bool:
        specs = self.definition.get("upgradesFrom") or []
        return any(s == "*" or s == version for s in specs)

    def can_downgrade_to(self, version: str) -> bool:
        specs = self.definition.get("downgradesTo") or []
        return any(s == "*" or s == version for s in specs)

    # -- what the RPCs answer -----------------------------------------------

    def search_result(self) -> JSON:
        out: JSON = {
            "name": self.name,
            "currentVersion": self.version,
            "versions": {self.version: self.release_version},
            "description": self.definition["description"],
            "framework": bool(self.definition.get("framework", False)),
            "tags": list(self.definition.get("tags", [])),
        }
        if "selected" in self.definition:
            out["selected"] = bool(self.definition["selected"])
        if self.images is not None:
            out["images"] = self.images
        return out

    def describe_v2(self) -> JSON:
        """The v2 describe body: the definition without releaseVersion, v4 shown as 3.0."""
        if self.packaging_version == "4.0" and (
            self.definition.get("upgradesFrom") or self.definition.get("downgradesTo")
        ):
            raise ConversionFromPackageToV2DescribeResponse()
        d = self.definition
        out: JSON = {
            "packagingVersion": "3.0"
            if self.packaging_version == "4.0"
            else self.packaging_version,
            "name": self.name,
            "version": self.version,
            "maintainer": d["maintainer"],
            "description": d["description"],
            "tags": list(d.get("tags", [])),
            "selected": bool(d.get("selected", False)),
        }
        for key in ("scm", "website"):
            if key in d:
                out[key] = d[key]
        out["framework"] = bool(d.get("framework", False))
        for key in (*_NOTES, "minDcosReleaseVersion", "marathon"):
            if key in d:
                out[key] = d[key]
        resource = self.v3_resource()
        if resource is not None:
            out["resource"] = resource
        for key in ("config", "command"):
            if key in d:
                out[key] = d[key]
        return out

    def v3_resource(self) -> JSON | None:
        resource = self.resource
        if resource is None:
            return None
        if self.packaging_version == "2.0":
            return {k: resource[k] for k in ("assets", "images") if k in resource}
        return resource

    def package_details(self) -> JSON:
        """InstalledPackageInformationPackageDetails: what `list` shows of a package."""
        d = self.definition
        out: JSON = {
            "packagingVersion": self.packaging_version,
            "name": self.name,
            "version": self.version,
            "maintainer": d["maintainer"],
            "description": d["description"],
            "tags": list(d.get("tags", [])),
            "selected": bool(d.get("selected", False)),
        }
        for key in ("scm", "website"):
            if key in d:
                out[key] = d[key]
        out["framework"] = bool(d.get("framework", False))
        for key in _NOTES:
            if key in d:
                out[key] = d[key]
        return out

    def v2_resource(self) -> JSON | None:
        """The resource as `list` shows it: assets and images only (no CLI)."""
        resource = self.resource
        if resource is None:
            return None
        return {k: resource[k] for k in ("assets", "images") if k in resource}

    def installed_information(self) -> JSON:
        out: JSON = {"packageDefinition": self.package_details()}
        resource = self.v2_resource()
        if resource is not None:
            out["resourceDefinition"] = resource
        return out

    def metadata_label(self) -> JSON:
        """The DCOS_PACKAGE_METADATA label's JSON (PackageMetadata: details plus images)."""
        out = self.package_details()
        if self.images is not None:
            out["images"] = self.images
        return out

    def storage_envelope(self) -> JSON:
        """The DCOS_PACKAGE_DEFINITION label's JSON: the definition, gzipped, in an envelope."""
        data = json.dumps(self.definition, separators=(",", ":")).encode()
        return {
            "metadata": {
                "Content-Type": mediatypes.UNIVERSE_PACKAGE[self.packaging_version].show(),
                "Content-Encoding": "gzip",
            },
            "data": base64.b64encode(gzip.compress(data, mtime=0)).decode(),
        }


class ConversionFromPackageToV2DescribeResponse(errors.CosmosError):
    def __init__(self) -> None:
        super().__init__("A v4 package cannot be converted into a v2 DescribeResponse")


def package_from_envelope(envelope: Any) -> Package | None:
    """The package a DCOS_PACKAGE_DEFINITION envelope holds, or None if it holds none."""
    if not isinstance(envelope, dict) or not isinstance(envelope.get("metadata"), dict):
        return None
    data = base64.b64decode(str(envelope.get("data", "")))
    if envelope["metadata"].get("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    try:
        return Package.parse(json.loads(data))
    except (ValueError, InvalidPackage):
        return None


def package_from_metadata(metadata: Any) -> JSON | None:
    """InstalledPackageInformation from an older app's DCOS_PACKAGE_METADATA label."""
    if not isinstance(metadata, dict) or "name" not in metadata or "version" not in metadata:
        return None
    details = {k: v for k, v in metadata.items() if k != "images"}
    details.setdefault("tags", [])
    details.setdefault("selected", False)
    details.setdefault("framework", False)
    out: JSON = {"packageDefinition": details}
    if isinstance(metadata.get("images"), dict):
        out["resourceDefinition"] = {"images": metadata["images"]}
    return out


@dataclass(frozen=True)
class Repository:
    """A fetched repository: its packages, newest release first within each name."""

    packages: tuple[Package, ...]

    @classmethod
    def parse(cls, document: Any) -> Repository:
        if not isinstance(document, dict) or not isinstance(document.get("packages"), list):
            raise InvalidPackage("a repository is a JSON object with a `packages` list")
        packages = [Package.parse(p) for p in document["packages"]]
        packages.sort(key=lambda p: (p.name, p.release_version), reverse=True)
        return cls(tuple(packages))

    def by_name(self, name: str) -> list[Package]:
        return [p for p in self.packages if p.name == name]

    def find(self, name: str, version: str | None) -> Package:
        """The named package at `version` (its newest release when None)."""
        named = self.by_name(name)
        if version is None:
            if not named:
                raise errors.PackageNotFound(name)
            return named[0]
        for pkg in named:
            if pkg.version == version:
                return pkg
        if named:
            raise errors.VersionNotFound(name, version)
        raise errors.PackageNotFound(name)

    def search(self, query: str | None) -> list[JSON]:
        """One result per name (its newest release, every version listed), filtered by `query`."""
        results: dict[str, JSON] = {}
        for pkg in self.packages:
            result = results.get(pkg.name)
            if result is None:
                results[pkg.name] = pkg.search_result()
                continue
            versions = result["versions"]
            versions[pkg.version] = max(versions.get(pkg.version, -1), pkg.release_version)
        return [r for r in results.values() if matches(r, query)]


def matches(result: JSON, query: str | None) -> bool:
    """Cosmos's search: a substring of name, description or a tag, or a `*` wildcard pattern."""
    if query is None:
        return True
    fields = [result["name"], result["description"], *result["tags"]]
    if "*" in query:
        import re

        pattern = ".*".join(re.escape(part) for part in query.split("*"))
        regex = re.compile(f"^{pattern}$")
        return any(regex.search(f) for f in fields)
    needle = query.lower()
    return any(needle in f.lower() for f in fields)
