"""Code shared by miniDC/OS's Python components (runs on the node's Debian python3)."""
