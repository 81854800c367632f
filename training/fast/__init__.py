"""The fast path: speed switches from the `performance` section, resolved per device.

settings.py turns the config's auto/on/off into what this run actually does
(and what env.json records); precision.py is the bf16 autocast context.
"""
