"""Site pages that are not a capability of their own: the home page (later the
accessibility statement, privacy notice and staying safe online)."""
