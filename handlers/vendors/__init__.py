"""One small HTTP client per vendor API (the customer look-up, app store reviews, …), each
behind a port the core declares."""
