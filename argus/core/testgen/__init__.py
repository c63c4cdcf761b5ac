"""Test generation: generators of candidate tests and the sandbox that validates them.

The package imports nothing: importing one of its modules (the sandbox, say) does not pull in
the others, and no module depends on the package's own namespace.
"""
