"""One module per aggregate, each implementing its protocol from `bot.ports.repositories`."""
