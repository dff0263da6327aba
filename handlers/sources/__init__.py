"""One module per vendor: how its deliveries are verified and what they say.

Each module is pure (no I/O): `verify` checks the vendor's signature its own way, `event_id`
names the delivery so a retry is recognised, and `parse` turns the payload into the core's
`bot.sources.events`. `vendors.py` maps each kind of source to its module.
"""
