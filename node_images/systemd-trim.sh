#!/bin/bash
# Trim systemd to what a node needs, so that a node boots in about a second
# and no unit touches host-global kernel state. Run once at image build time.
set -euo pipefail

# Units that make no sense in a container, or that write host-global state.
mask=(
  systemd-binfmt.service proc-sys-fs-binfmt_misc.automount proc-sys-fs-binfmt_misc.mount
  systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket
  systemd-udev-trigger.service systemd-udev-settle.service
  systemd-modules-load.service kmod-static-nodes.service
  systemd-remount-fs.service systemd-firstboot.service systemd-hwdb-update.service
  sys-kernel-debug.mount sys-kernel-tracing.mount sys-kernel-config.mount sys-fs-fuse-connections.mount
  dev-hugepages.mount dev-mqueue.mount
  getty.target console-getty.service getty@tty1.service
  systemd-logind.service
  e2scrub_all.timer e2scrub_reap.service fstrim.timer apt-daily.timer apt-daily-upgrade.timer
  dpkg-db-backup.timer
  systemd-timesyncd.service
)
for unit in "${mask[@]}"; do
  ln -sf /dev/null "/etc/systemd/system/$unit"
done

# Packages the distribution runs under its own dcos-* units, or only on some
# roles, are installed but not started at boot.
for unit in nginx.service \
  prometheus-node-exporter.service epmd.service epmd.socket iperf3.service \
  logrotate.timer logrotate.service systemd-journal-remote.socket \
  systemd-journal-gatewayd.socket systemd-journal-upload.service dnsmasq.service \
  zookeeper.service; do
  systemctl disable "$unit" >/dev/null 2>&1 || true
done

# Docker Engine runs on every DC/OS node (agents run Docker tasks in it).
# Its daemon.json (node_images/docker-daemon.json) puts inner containers under
# the node's own cgroup through systemd.
systemctl enable docker.service containerd.service >/dev/null 2>&1

systemctl set-default multi-user.target

# journald: keep the journal off the console (which is the container's log).
mkdir -p /etc/systemd/journald.conf.d
cat >/etc/systemd/journald.conf.d/minidcos.conf <<'CONF'
[Journal]
ForwardToConsole=no
ReadKMsg=no
CONF
