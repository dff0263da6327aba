"""One pure module per issue tracker: does a webhook delivery hold its signature, what is its
delivery id, and what does it say happened to an issue."""
