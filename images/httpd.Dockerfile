# minidcos/httpd: an HTTP server on port 80 (Debian 12's nginx-light) on
# minidcos/slim, serving /var/www/html. Built by miniDC/OS from Debian
# packages; BASE is the minidcos/slim tag the harness passes.
ARG BASE
FROM ${BASE}
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends nginx-light \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* \
 && ln -sf /dev/stdout /var/log/nginx/access.log \
 && ln -sf /dev/stderr /var/log/nginx/error.log
COPY images/httpd/index.html /var/www/html/index.html
LABEL org.opencontainers.image.title="minidcos/httpd" \
      org.opencontainers.image.description="Debian 12 with nginx-light on port 80, built by miniDC/OS from Debian packages"
EXPOSE 80
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
