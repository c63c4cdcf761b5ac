"""Test generation: generators of candidate tests and the sandbox that validates them."""
