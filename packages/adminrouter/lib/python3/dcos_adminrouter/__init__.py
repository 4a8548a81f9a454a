"""Admin Router: DC/OS's single entry point, nginx with lua from Debian's packages.

The nginx configuration and lua code live in the package's `nginx/` folder;
this module only starts nginx with the node's own part of the config.
"""
