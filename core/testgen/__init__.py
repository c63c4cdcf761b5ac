"""Test generation: generators of candidate tests and the sandbox that validates them."""

from core.testgen.candidate import Candidate, CandidateKind
from core.testgen.validation import Rejection, ValidationResult, validate

__all__ = ["Candidate", "CandidateKind", "Rejection", "ValidationResult", "validate"]
