"""Image references as Docker reads them, and where each one lives in our registry.

`nginx:1.10` is Docker Hub's `library/nginx`, tag 1.10; `myorg/app@sha256:...`
is Hub's `myorg/app` at that digest; a first component with a dot, a colon or
`localhost` names another registry. Nodes pull Hub names through the registry
as their mirror, so a Hub image is stored under its Hub path and keeps its
name on nodes. Images of other registries cannot be mirrored by Docker: they
are stored under `<registry host>/<path>` and named on nodes with the
registry's node address in front.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from minidcos.errors import UsageError

DOCKER_HUB = "docker.io"
HUB_ALIASES = ("docker.io", "index.docker.io", "registry-1.docker.io")
_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_DOMAIN = re.compile(r"^[a-zA-Z0-9.-]+(?::[0-9]+)?$")


@dataclass(frozen=True)
class Reference:
    domain: str  # docker.io for Docker Hub
    path: str  # library/nginx
    tag: str | None = None
    digest: str | None = None

    @property
    def on_docker_hub(self) -> bool:
        return self.domain == DOCKER_HUB

    @property
    def ref(self) -> str:
        """The tag, else the digest (what a manifest is addressed by), else latest."""
        return self.tag or self.digest or "latest"

    def familiar(self) -> str:
        """How `docker images` shows it: nginx:1.10, myorg/app:1, quay.io/x/y:1."""
        name = self.path
        name = name.removeprefix("library/") if self.on_docker_hub else f"{self.domain}/{name}"
        if self.tag:
            name += f":{self.tag}"
        if self.digest:
            name += f"@{self.digest}"
        return name

    def repository_in_registry(self, registry_address: str) -> str:
        """Where our registry keeps it: Hub path, or the other registry's host in front."""
        if self.on_docker_hub or self.domain == registry_address:
            return self.path
        return f"{self.domain.split(':')[0].lower()}/{self.path}"


def parse(text: str) -> Reference:
    """A reference as `docker pull` takes it; UsageError saying what is wrong."""
    original = text
    digest = None
    if "@" in text:
        text, digest = text.split("@", 1)
        if not _DIGEST.match(digest):
            raise UsageError(f"{original!r}: the digest must be sha256: and 64 hex digits")
    tag = None
    last = text.rsplit("/", 1)[-1]
    if ":" in last:
        text, tag = text.rsplit(":", 1)
        if not _TAG.match(tag):
            raise UsageError(f"{original!r}: {tag!r} is not a valid tag")
    parts = text.split("/")
    domain = DOCKER_HUB
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        domain = parts.pop(0)
        if not _DOMAIN.match(domain):
            raise UsageError(f"{original!r}: {domain!r} is not a registry host")
    if domain in HUB_ALIASES:
        domain = DOCKER_HUB
    if not parts or not all(_COMPONENT.match(p) for p in parts):
        raise UsageError(
            f"{original!r} is not an image name: use lowercase letters, digits and "
            "separators (., _, -) in each /-separated part, as in myorg/app:1.0"
        )
    if domain == DOCKER_HUB and len(parts) == 1:
        parts.insert(0, "library")
    return Reference(domain, "/".join(parts), tag, digest)


def node_reference(repository: str, ref: str, registry_address: str) -> str:
    """How a task on a node names an image our registry holds (repository, tag or digest)."""
    separator = "@" if ref.startswith("sha256:") else ":"
    first = repository.split("/")[0]
    if "." in first or first == "localhost":
        # Another registry's image: Docker cannot mirror it, so name our registry.
        return f"{registry_address}/{repository}{separator}{ref}"
    return f"{repository.removeprefix('library/')}{separator}{ref}"
