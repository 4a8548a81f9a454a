#!/usr/bin/env bash
# Build the Debian 12 base rootfs of the node image with debootstrap and pack
# it as a tarball for `docker import`.
#
#   build-rootfs.sh OUT.tar MIRROR SECURITY_MIRROR [INCLUDE]
#
# MIRROR and SECURITY_MIRROR are the host's own configured Debian mirrors
# (the harness reads them from the host's apt sources); nothing here names one.
# INCLUDE is debootstrap's comma-separated --include list: by default what a
# node boots with; empty for the bare minbase of the offline image set.
set -euo pipefail
out=$1 mirror=$2 security=$3
include=${4-systemd,systemd-sysv,dbus,ca-certificates}
suite=bookworm

work=$(mktemp -d "${TMPDIR:-/tmp}/minidcos-rootfs.XXXXXX")
trap 'umount -R "$work/rootfs"/{proc,sys,dev} 2>/dev/null || true; rm -rf "$work"' EXIT
root=$work/rootfs

echo "debootstrap $suite (minbase) from the host's mirror"
debootstrap --variant=minbase ${include:+--include="$include"} \
  "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2
  exit 1
}

# Every suite the image's packages come from: point releases and security fixes too.
cat >"$root/etc/apt/sources.list" <<SOURCES
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security $suite-security main
SOURCES
# The host's mirror may be a dated snapshot whose Release files have expired.
cat >"$root/etc/apt/apt.conf.d/90minidcos" <<'APT'
Acquire::Check-Valid-Until "false";
APT::Install-Recommends "false";
APT::Install-Suggests "false";
APT
# No man pages or docs in the image: they are most of a minbase's size.
cat >"$root/etc/dpkg/dpkg.cfg.d/90minidcos-nodoc" <<'DPKG'
path-exclude=/usr/share/man/*
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/locale/*
DPKG
# ... and none of what debootstrap installed before that rule existed. The
# folders stay: some packages' scripts link into them (openjdk's man pages).
find "$root/usr/share/doc" ! -name copyright ! -type d -delete
find "$root/usr/share/man" "$root/usr/share/locale" ! -type d -delete

rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
: >"$root/etc/machine-id"

echo "packing the rootfs"
tar --numeric-owner --xattrs -C "$root" -cf "$out.partial" .
mv "$out.partial" "$out"
