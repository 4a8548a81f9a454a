export PATH="$PATH:/opt/mesosphere/bin/dcos-path"
