"""Model provider adapters, one module per service; each translates its errors at the boundary."""
