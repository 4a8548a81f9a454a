"""pkgpanda: fetch and activate a node's DC/OS packages, then start dcos.target.

`activation` holds the logic (tested in packages/pkgpanda/tests/); `cli` is
the command line that `bin/pkgpanda` runs:

    pkgpanda setup [--no-block]

It runs before any package is active (dcos_install.sh calls it from the
unpacked bootstrap), so it uses only the standard library.
"""
