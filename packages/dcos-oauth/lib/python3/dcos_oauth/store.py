"""What dcos-oauth keeps in ZooKeeper: users, the cluster's token secret, the local issuer's key.

Layout, as DC/OS 1.10 has it:

    /dcos/users/<uid>             one znode per user, its data the uid
    /dcos/auth-token-secret       the HS256 secret of cluster tokens (read-only to all)
    /dcos/dcos-oauth/local-issuer-key   miniDC/OS's own: the PEM key of the cluster's
                                  local OpenID Connect issuer

Values every master must agree on are created once: each master proposes one
and whichever `create` wins is the value (ZooKeeper orders the creates).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kazoo.exceptions import BadVersionError, NodeExistsError, NoNodeError
from kazoo.security import ACL, ANYONE_ID_UNSAFE, Permissions

log = logging.getLogger(__name__)

USERS = "/dcos/users"
SECRET = "/dcos/auth-token-secret"
LOCAL_ISSUER_KEY = "/dcos/dcos-oauth/local-issuer-key"

ANYONE_READ = [ACL(Permissions.READ, ANYONE_ID_UNSAFE)]


class UserExistsError(Exception):
    pass


class UserNotFoundError(Exception):
    pass


def user_path(uid: str) -> str:
    return f"{USERS}/{uid}"


class Store:
    """dcos-oauth's state, over a started kazoo client."""

    def __init__(self, zk: Any) -> None:
        self.zk = zk

    # -- users ------------------------------------------------------------------

    def users(self) -> list[str]:
        try:
            return sorted(self.zk.get_children(USERS))
        except NoNodeError:
            return []

    def user_exists(self, uid: str) -> bool:
        return self.zk.exists(user_path(uid)) is not None

    def add_user(self, uid: str) -> None:
        self.zk.ensure_path(USERS)
        try:
            self.zk.create(user_path(uid), uid.encode())
        except NodeExistsError as exc:
            raise UserExistsError(uid) from exc

    def delete_user(self, uid: str) -> None:
        try:
            self.zk.delete(user_path(uid))
        except NoNodeError as exc:
            raise UserNotFoundError(uid) from exc

    def add_first_user(self, uid: str) -> bool:
        """Create `uid` if there is no user at all; True if it was created.

        Two masters may each see an empty list at once: both write
        /dcos/users at the version they read, in one transaction with the
        user's create, so only one of them creates a first user.
        """
        self.zk.ensure_path(USERS)
        children, stat = self.zk.get_children(USERS, include_data=True)
        if children:
            return False
        transaction = self.zk.transaction()
        transaction.set_data(USERS, b"", version=stat.version)
        transaction.create(user_path(uid), uid.encode())
        results = transaction.commit()
        failed = [r for r in results if isinstance(r, Exception)]
        if failed:
            if not all(
                isinstance(r, (BadVersionError, NodeExistsError)) or _rolled_back(r) for r in failed
            ):
                raise failed[0]
            log.info("another first user was created at the same time as %s", uid)
            return False
        log.info("created the first user %s", uid)
        return True

    # -- values every master agrees on -------------------------------------------------

    def agreed_value(self, path: str, propose: Callable[[], bytes], acl: Any = None) -> bytes:
        """The value at `path`, created from `propose()` if nobody created it yet."""
        if self.zk.exists(path) is None:
            parent = path.rsplit("/", 1)[0]
            if parent:
                self.zk.ensure_path(parent)
            try:
                self.zk.create(path, propose(), acl=acl)
                log.info("created %s", path)
            except NodeExistsError:
                pass
        self.zk.sync(path)
        value: bytes = self.zk.get(path)[0]
        return value

    def watch(self, path: str, callback: Callable[[bytes | None], None]) -> None:
        """Call `callback` with the data at `path` now and whenever it changes."""

        def on_change(data: bytes | None, _stat: Any) -> None:
            callback(data)

        self.zk.DataWatch(path, on_change)


def _rolled_back(result: Exception) -> bool:
    # kazoo reports the operations after a failed one as RolledBackError.
    return type(result).__name__ == "RolledBackError"
