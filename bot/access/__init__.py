"""Who may use the ingest API and how fast: tokens, their scopes, the rate they share."""
