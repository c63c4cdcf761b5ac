"""Error patterns: parse production errors, scrub them, sign them and embed them.

The pure core of capability 3. Stores, servers and remote embedders live elsewhere and call in.
"""
