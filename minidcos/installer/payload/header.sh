#!/usr/bin/env bash
# miniDC/OS installer (dcos_generate_config.sh), built by `minidcos installer build`.
# A shell header and a tar payload: the genconf code, the distribution's
# packages and the bootstrap. Run it in a directory holding genconf/.
set -euo pipefail
PAYLOAD_LINE=@PAYLOAD_LINE@
python=${DCOS_INSTALLER_PYTHON:-python3}
command -v "$python" >/dev/null || { echo "dcos_generate_config.sh needs python3 (apt-get install python3)" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/dcos-installer.XXXXXX")
trap 'rm -rf "$work"' EXIT
tail -n +"$PAYLOAD_LINE" "$0" | tar -x -C "$work"
export DCOS_INSTALLER_ARTIFACTS="$work/artifacts"
PYTHONPATH="$work${PYTHONPATH:+:$PYTHONPATH}" "$python" -m dcos_installer.generate_config "$@"
exit $?
