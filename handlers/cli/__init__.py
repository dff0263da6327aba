"""The `allhands` command line: `main.build_cli` assembles it."""
