"""The course's own tooling: notebook, site and slide builds (run as ``python -m tools.<name>`` from the root)."""
