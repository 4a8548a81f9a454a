"""The host's configured Debian mirrors, read from its apt sources at run time.

The node image is built from the same mirrors the host uses, so nothing in
the project names a mirror's host.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from minidcos.errors import ProviderError

APT_DIR = Path("/etc/apt")


@dataclass(frozen=True)
class Mirrors:
    debian: str  # serves bookworm and bookworm-updates
    security: str  # serves bookworm-security


def parse_one_line(text: str) -> list[tuple[str, list[str]]]:
    """(uri, suites) of each `deb` line of a sources.list file."""
    entries = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line.startswith("deb "):
            continue
        words = line.split()[1:]
        if words and words[0].startswith("["):  # options such as [arch=amd64 signed-by=...]
            while words and not words[0].endswith("]"):
                words.pop(0)
            words = words[1:]
        if len(words) >= 2:
            entries.append((words[0], [words[1]]))
    return entries


def parse_deb822(text: str) -> list[tuple[str, list[str]]]:
    """(uri, suites) of each `Types: deb` stanza of a .sources file."""
    entries = []
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        for raw in stanza.splitlines():
            if raw.startswith("#") or ":" not in raw or raw.startswith((" ", "\t")):
                continue
            key, value = raw.split(":", 1)
            fields[key.strip().lower()] = value.strip()
        if "deb" not in fields.get("types", "").split():
            continue
        if fields.get("enabled", "yes").lower() == "no":
            continue
        suites = fields.get("suites", "").split()
        for uri in fields.get("uris", "").split():
            entries.append((uri, suites))
    return entries


def mirrors_from(entries: list[tuple[str, list[str]]], suite: str = "bookworm") -> Mirrors:
    debian = next((u for u, s in entries if suite in s), None)
    security = next((u for u, s in entries if f"{suite}-security" in s), None)
    if debian is None:
        raise ProviderError(
            f"the host's apt sources name no mirror for Debian {suite!r}",
            hint=f"add a `deb <mirror> {suite} main` source to /etc/apt/sources.list(.d); "
            "the node image is built from the host's own mirror",
        )
    if security is None:
        raise ProviderError(
            f"the host's apt sources name no mirror for {suite}-security",
            hint=f"add a `deb <mirror> {suite}-security main` source to /etc/apt/sources.list(.d)",
        )
    return Mirrors(debian=debian.rstrip("/"), security=security.rstrip("/"))


def host_mirrors(apt_dir: Path = APT_DIR, suite: str = "bookworm") -> Mirrors:
    """The mirrors of the host's apt sources (sources.list, *.list and deb822 *.sources)."""
    entries: list[tuple[str, list[str]]] = []
    main = apt_dir / "sources.list"
    if main.exists():
        entries += parse_one_line(main.read_text())
    parts = apt_dir / "sources.list.d"
    if parts.is_dir():
        for path in sorted(parts.iterdir()):
            if path.suffix == ".list":
                entries += parse_one_line(path.read_text())
            elif path.suffix == ".sources":
                entries += parse_deb822(path.read_text())
    return mirrors_from(entries, suite)
