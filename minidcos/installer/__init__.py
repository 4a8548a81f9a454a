"""The installer: build it from packages/ (build.py); genconf code shipped inside it."""
