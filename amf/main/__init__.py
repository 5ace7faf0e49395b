"""The public site's pages: home, health check, events, the city directory, error pages."""
