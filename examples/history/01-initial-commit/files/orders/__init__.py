"""Orders: pricing, inventory and persistence for the shop."""
