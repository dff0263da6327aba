"""Microsoft Teams: botbuilder stays inside this package, so the SDK can be replaced."""
