"""A small client of the Docker registry HTTP API v2 (what Docker Distribution serves).

Only what pushing and listing need: blobs (exists, cross-repository mount,
chunked upload with the digest given at the end), manifests, the catalog
and tag lists. It talks to our own registry on loopback, never through a
proxy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import requests

from minidcos.backends.registry.archive import INDEX_TYPES, MANIFEST_TYPES
from minidcos.errors import ProviderError

ACCEPT = ", ".join((*MANIFEST_TYPES, *INDEX_TYPES))
TIMEOUT_S = 60.0


class RegistryError(ProviderError):
    """The registry refused or failed a request; the message carries its own error codes."""


@dataclass(frozen=True)
class Manifest:
    media_type: str
    digest: str
    body: dict[str, Any]
    raw: bytes


def _error(response: requests.Response, what: str) -> RegistryError:
    try:
        errors = response.json().get("errors") or []
        detail = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors)
    except ValueError:
        detail = response.text[:200]
    return RegistryError(f"the registry refused {what}: HTTP {response.status_code} {detail}")


class RegistryClient:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.trust_env = False  # our registry is on loopback: no proxy, ever

    def close(self) -> None:
        self.session.close()

    def _url(self, path: str) -> str:
        return f"{self.base_url}/v2/{path}"

    def _request(self, method: str, url: str, what: str, **kwargs: Any) -> requests.Response:
        try:
            return self.session.request(method, url, timeout=TIMEOUT_S, **kwargs)
        except requests.RequestException as exc:
            raise RegistryError(
                f"the registry at {self.base_url} did not answer {what}: {exc}",
                hint="`minidcos docker doctor` reports the registry; a create starts it",
            ) from exc

    # -- blobs --------------------------------------------------------------

    def has_blob(self, repository: str, digest: str) -> bool:
        url = self._url(f"{repository}/blobs/{digest}")
        response = self._request("HEAD", url, f"HEAD {repository}@{digest}")
        return response.status_code == 200

    def blob_size(self, repository: str, digest: str) -> int:
        url = self._url(f"{repository}/blobs/{digest}")
        response = self._request("HEAD", url, f"HEAD {repository}@{digest}")
        if response.status_code != 200:
            raise _error(response, f"HEAD {repository}@{digest}")
        return int(response.headers.get("Content-Length", 0))

    def mount_blob(self, repository: str, digest: str, source: str) -> bool:
        """Link a blob another repository holds into this one; False if it cannot."""
        url = self._url(f"{repository}/blobs/uploads/")
        response = self._request(
            "POST", url, "a blob mount", params={"mount": digest, "from": source}
        )
        if response.status_code == 201:
            return True
        if response.status_code == 202:  # not mounted: an upload began; give it back
            location = urljoin(self.base_url, response.headers["Location"])
            self._request("DELETE", location, "cancelling an upload")
            return False
        raise _error(response, f"mounting {digest} into {repository}")

    def upload_blob(
        self,
        repository: str,
        chunks: Iterable[bytes],
        on_bytes: Callable[[int], None] = lambda n: None,
    ) -> tuple[str, int]:
        """Stream a blob in and commit it under the sha256 of what was sent: (digest, size)."""
        response = self._request(
            "POST", self._url(f"{repository}/blobs/uploads/"), f"an upload to {repository}"
        )
        if response.status_code != 202:
            raise _error(response, f"an upload to {repository}")
        location = urljoin(self.base_url, response.headers["Location"])
        digest = hashlib.sha256()
        sent = 0

        def body() -> Iterator[bytes]:
            nonlocal sent
            for chunk in chunks:
                digest.update(chunk)
                sent += len(chunk)
                on_bytes(sent)
                yield chunk

        response = self._request(
            "PATCH",
            location,
            f"the upload to {repository}",
            data=body(),
            headers={"Content-Type": "application/octet-stream"},
        )
        if response.status_code != 202:
            raise _error(response, f"the upload to {repository}")
        location = urljoin(self.base_url, response.headers["Location"])
        blob = f"sha256:{digest.hexdigest()}"
        response = self._request(
            "PUT", location, f"committing {blob}", params={"digest": blob}, data=b""
        )
        if response.status_code != 201:
            raise _error(response, f"committing {blob} in {repository}")
        return blob, sent

    def blob(self, repository: str, digest: str) -> bytes:
        response = self._request("GET", self._url(f"{repository}/blobs/{digest}"), "a blob")
        if response.status_code != 200:
            raise _error(response, f"GET {repository}@{digest}")
        return response.content

    # -- manifests ----------------------------------------------------------

    def put_manifest(self, repository: str, ref: str, media_type: str, raw: bytes) -> str:
        """Store a manifest under a tag (or its digest); the digest the registry gives it."""
        response = self._request(
            "PUT",
            self._url(f"{repository}/manifests/{ref}"),
            f"the manifest {repository}:{ref}",
            data=raw,
            headers={"Content-Type": media_type},
        )
        if response.status_code != 201:
            raise _error(response, f"the manifest {repository}:{ref}")
        return str(response.headers.get("Docker-Content-Digest", ""))

    def delete_manifest(self, repository: str, digest: str) -> None:
        """Untag every name of a manifest (its blobs stay until the registry collects them)."""
        url = self._url(f"{repository}/manifests/{digest}")
        response = self._request("DELETE", url, f"DELETE {repository}@{digest}")
        if response.status_code not in (202, 404):
            raise _error(response, f"deleting {repository}@{digest}")

    def manifest_digest(self, repository: str, ref: str) -> str | None:
        response = self._request(
            "HEAD",
            self._url(f"{repository}/manifests/{ref}"),
            f"HEAD {repository}:{ref}",
            headers={"Accept": ACCEPT},
        )
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise _error(response, f"HEAD {repository}:{ref}")
        return str(response.headers.get("Docker-Content-Digest", ""))

    def manifest(self, repository: str, ref: str) -> Manifest | None:
        response = self._request(
            "GET",
            self._url(f"{repository}/manifests/{ref}"),
            f"the manifest {repository}:{ref}",
            headers={"Accept": ACCEPT},
        )
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise _error(response, f"GET {repository}:{ref}")
        body = response.json()
        media_type = str(body.get("mediaType") or response.headers.get("Content-Type", ""))
        digest = str(response.headers.get("Docker-Content-Digest", ""))
        return Manifest(media_type, digest, body, response.content)

    # -- listing ------------------------------------------------------------

    def repositories(self) -> list[str]:
        found: list[str] = []
        url: str | None = self._url("_catalog?n=1000")
        while url:
            response = self._request("GET", url, "the catalog")
            if response.status_code != 200:
                raise _error(response, "the catalog")
            found += response.json().get("repositories") or []
            link = response.links.get("next", {}).get("url")
            url = urljoin(self.base_url, link) if link else None
        return found

    def tags(self, repository: str) -> list[str]:
        response = self._request("GET", self._url(f"{repository}/tags/list"), "a tag list")
        if response.status_code == 404:  # a repository with blobs but no manifest yet
            return []
        if response.status_code != 200:
            raise _error(response, f"the tags of {repository}")
        return sorted(response.json().get("tags") or [])
