"""cobrowse: a self-hosted co-browsing server."""

__version__ = "0.1.0"
