"""Small HTTP clients for other services' APIs, each behind a port the core declares."""
