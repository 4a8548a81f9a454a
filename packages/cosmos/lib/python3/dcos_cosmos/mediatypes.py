"""Cosmos's versioned media types, and how it matches them against a request.

Every RPC names its request and response bodies with a vendor media type
(`application/vnd.dcos.package.install-request+json;charset=utf-8;version=v1`).
Cosmos checks the request's Content-Type against the one type it accepts (the
request must carry at least that type's parameters) and picks the response's
type from the Accept header: the client's types, best quality first and the
more specific first among equals, the first that is exactly one the endpoint
produces. Anything else is a 400 naming the types it should have sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class MediaType:
    type: str
    subtype: str  # including the +suffix, lower case: "vnd.dcos.package.list-request+json"
    parameters: tuple[tuple[str, str], ...] = field(default=())

    @property
    def params(self) -> dict[str, str]:
        return dict(self.parameters)

    def show(self) -> str:
        """The type as Cosmos writes it: parameters in the order they were given."""
        return f"{self.type}/{self.subtype}" + "".join(f";{k}={v}" for k, v in self.parameters)

    def without_q(self) -> MediaType:
        return MediaType(self.type, self.subtype, tuple(p for p in self.parameters if p[0] != "q"))

    @property
    def quality(self) -> float:
        try:
            return float(self.params.get("q", "1"))
        except ValueError:
            return 1.0

    def same_as(self, other: MediaType) -> bool:
        """Equal type, subtype and parameter set (order and q aside)."""
        return (self.type, self.subtype) == (other.type, other.subtype) and dict(
            self.without_q().parameters
        ) == dict(other.without_q().parameters)

    def accepts(self, actual: MediaType) -> bool:
        """`actual` is compatible with this (expected) type: every parameter of ours is in it."""
        if (self.type, self.subtype) != (actual.type, actual.subtype):
            return False
        mine, theirs = dict(self.without_q().parameters), actual.params
        return all(theirs.get(k) == v for k, v in mine.items())


class MediaTypeParseError(ValueError):
    pass


def parse(text: str) -> MediaType:
    """`type/subtype;key=value...`, type and subtype in lower case, parameters kept in order."""
    parts = [p.strip() for p in text.split(";")]
    full = parts[0]
    if full.count("/") != 1:
        raise MediaTypeParseError(f"Unable to parse MediaType for input: '{text}'")
    main, sub = (s.strip().lower() for s in full.split("/"))
    if not main or not sub:
        raise MediaTypeParseError(f"Unable to parse MediaType for input: '{text}'")
    params: list[tuple[str, str]] = []
    for part in parts[1:]:
        if not part:
            continue
        if "=" not in part:
            raise MediaTypeParseError(f"Unable to parse MediaType for input: '{text}'")
        key, value = (s.strip() for s in part.split("=", 1))
        params.append((key.lower(), value.strip('"')))
    return MediaType(main, sub, tuple(params))


def parse_compound(text: str) -> list[MediaType]:
    """An Accept header: several types separated by commas."""
    return [parse(p) for p in text.split(",") if p.strip()]


def negotiate(accept: list[MediaType], produced: list[MediaType]) -> MediaType | None:
    """The produced type the client prefers, or None when it accepts none of them."""
    candidates = [m for m in accept if m.quality > 0]
    candidates.sort(key=lambda m: (-m.quality, -len(m.without_q().parameters)))
    for wanted in candidates:
        for offered in produced:
            if wanted.same_as(offered):
                return offered
    return None


def _vnd(namespace: str, kind: str, version: int) -> MediaType:
    return MediaType(
        "application",
        f"vnd.dcos.{namespace}.{kind}+json",
        (("charset", "utf-8"), ("version", f"v{version}")),
    )


def package(kind: str, version: int = 1) -> MediaType:
    return _vnd("package", kind, version)


def service(kind: str, version: int = 1) -> MediaType:
    return _vnd("service", kind, version)


ERROR = package("error")
CAPABILITIES = MediaType(
    "application", "vnd.dcos.capabilities+json", (("charset", "utf-8"), ("version", "v1"))
)
# The media type of the repository list kept in ZooKeeper (inside a storage envelope).
REPOSITORY_LIST = package("repository.repo-list")
# Package definitions as a Universe repository holds them (describe v3, storage envelopes).
UNIVERSE_PACKAGE = {
    "2.0": MediaType(
        "application", "vnd.dcos.universe.package+json", (("charset", "utf-8"), ("version", "v2"))
    ),
    "3.0": MediaType(
        "application", "vnd.dcos.universe.package+json", (("charset", "utf-8"), ("version", "v3"))
    ),
    "4.0": MediaType(
        "application", "vnd.dcos.universe.package+json", (("charset", "utf-8"), ("version", "v4"))
    ),
}
UNIVERSE_REPO_V4 = MediaType(
    "application", "vnd.dcos.universe.repo+json", (("charset", "utf-8"), ("version", "v4"))
)
UNIVERSE_REPO_V3 = MediaType(
    "application", "vnd.dcos.universe.repo+json", (("charset", "utf-8"), ("version", "v3"))
)
