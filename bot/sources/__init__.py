"""Feedback that arrives from where customers write: helpdesks, surveys, email, app stores."""
