"""Which systemd units are "the node's DC/OS units".

pkgpanda links every unit of the node's role into dcos.target.wants. A .socket
or .timer there starts a service that is not linked itself (the package's
buildinfo leaves it out so that only its trigger starts it), yet that service
is as much a DC/OS component as the trigger, so it is reported too.
"""

from __future__ import annotations

from pathlib import Path

WANTS_DIR = Path("/etc/systemd/system/dcos.target.wants")
UNIT_DIR = Path("/etc/systemd/system")

# Install-time one-shots DC/OS leaves out of health as well: once the node is
# up they are irrelevant, and a failed download would otherwise stay red forever.
EXCLUDED = frozenset({"dcos-setup.service", "dcos-download.service", "dcos-link-env.service"})

# The [section] and key that name a trigger's unit, and the suffix it defaults to.
_TRIGGER_KEYS = {".socket": ("Socket", "Service"), ".timer": ("Timer", "Unit")}


def _unit_file(name: str, wants_dir: Path, unit_dir: Path) -> Path | None:
    for candidate in (wants_dir / name, unit_dir / name):
        if candidate.is_file():  # follows the wants symlink
            return candidate
    return None


def triggered_unit(name: str, text: str) -> str | None:
    """The service a .socket or .timer unit (file content `text`) starts, or None.

    Sockets with Accept=yes start one templated instance per connection: there
    is no single service whose state would mean anything, so none is reported.
    """
    suffix = next((s for s in _TRIGGER_KEYS if name.endswith(s)), None)
    if suffix is None:
        return None
    section_wanted, key_wanted = _TRIGGER_KEYS[suffix]
    target = name[: -len(suffix)] + ".service"
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        if section != section_wanted or "=" not in line:
            continue
        key, value = (part.strip() for part in line.split("=", 1))
        if key == key_wanted and value:
            target = value
        elif key == "Accept" and value.lower() in ("yes", "true", "1", "on"):
            return None
    return target


def discover(wants_dir: Path = WANTS_DIR, unit_dir: Path = UNIT_DIR) -> list[str]:
    """Every DC/OS unit of this node, sorted: the wanted units plus what their triggers start."""
    try:
        wanted = [p.name for p in wants_dir.iterdir()]
    except FileNotFoundError:
        return []
    found = set(wanted)
    for name in wanted:
        path = _unit_file(name, wants_dir, unit_dir)
        if path is None:
            continue  # a dangling link: systemd will report it as not found
        service = triggered_unit(name, path.read_text(errors="replace"))
        if service:
            found.add(service)
    return sorted(found - EXCLUDED)
