"""miniDC/OS's REX-Ray: Docker's volume plugin API over local directories.

REX-Ray 0.11 with its `vfs` storage driver keeps each volume as a directory
and serves Docker's volume plugin protocol on /run/docker/plugins/rexray.sock;
this does the same, so `docker run --volume-driver rexray -v NAME:/data` and
Marathon's external volumes (provider dvdi, driver rexray) keep data across
container restarts on the agent.

    store    the volumes: a directory each, plus its options (vfs.root)
    plugin   the VolumeDriver API Docker calls
    config   /etc/rexray/config.yml (genconf's rexray_config)
    cli      `rexray start -f`, `rexray volume ls|create|rm|path`, `rexray version`
"""

__version__ = "0.11.4-minidcos1"
