from pathlib import Path

import pytest

from argus.core.patterns.embed import HashingEmbedder
from argus.core.patterns.pipeline import prepare

FIXTURES = Path(__file__).parents[2] / "fixtures" / "errors"


@pytest.mark.parametrize(
    "fixture",
    sorted(path.name for path in FIXTURES.iterdir() if path.suffix in (".txt", ".json", ".bin")),
)
def test_every_fixture_goes_through_the_whole_pure_path(fixture):
    embedder = HashingEmbedder()
    prepared = prepare((FIXTURES / fixture).read_bytes(), embedder)
    assert prepared.signature.pattern_hash.startswith("v1:")
    assert len(prepared.embedding) == embedder.dimensions
    assert prepared.event.exception_type == prepared.signature.exception_type


def test_secrets_in_the_generic_fixture_never_reach_the_prepared_error():
    prepared = prepare((FIXTURES / "generic.json").read_bytes(), HashingEmbedder())
    assert "sk_live_" not in repr(prepared)
    assert prepared.event.frames[1].vars == {"amount": "1999", "api_key": "[Filtered]"}
    assert prepared.signature.message == (
        "charge ch_<number>Pq<number> for user <number> declined (card ending <number>)"
    )
