"""The cluster token for requests through Admin Router (auth is on by default).

`minidcos docker run --test-env` passes it as DCOS_ACS_TOKEN, as dcos-test-utils
reads it; a session that sends `auth_headers()` reaches protected locations:

    session.headers.update(acs.auth_headers())
"""

from __future__ import annotations

import os


def auth_headers() -> dict[str, str]:
    token = os.environ.get("DCOS_ACS_TOKEN")
    return {"Authorization": f"token={token}"} if token else {}
