"""One small HTTP client per vendor API (reading app store reviews, …), behind the core's ports."""
