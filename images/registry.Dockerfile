# minidcos/registry: the Docker Distribution registry (Debian 12's
# docker-registry package) that every miniDC/OS cluster on this engine pulls
# through. Built by miniDC/OS from Debian packages; BASE is the minidcos/slim
# tag the harness passes. Its storage is a named volume on
# /var/lib/docker-registry, so images outlive clusters.
ARG BASE
FROM ${BASE}
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends docker-registry \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*
COPY images/registry/config.yml /etc/docker/registry/config.yml
LABEL org.opencontainers.image.title="minidcos/registry" \
      org.opencontainers.image.description="Debian 12's docker-registry (Docker Distribution 2.8), built by miniDC/OS from Debian packages"
USER docker-registry
EXPOSE 5000
CMD ["/usr/bin/docker-registry", "serve", "/etc/docker/registry/config.yml"]
