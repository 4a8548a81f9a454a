# minidcos/python3: Debian 12's python3 (the standard library only) on
# minidcos/slim. The test app's Docker variant runs on it. Built by miniDC/OS
# from Debian packages; BASE is the minidcos/slim tag the harness passes.
ARG BASE
FROM ${BASE}
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends python3 \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*
LABEL org.opencontainers.image.title="minidcos/python3" \
      org.opencontainers.image.description="Debian 12 with python3, built by miniDC/OS from Debian packages"
CMD ["python3"]
