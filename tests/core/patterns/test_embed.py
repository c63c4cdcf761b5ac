import math
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import pytest

from argus.core.errors import ConfigError
from argus.core.patterns.embed import (
    DEFAULT_SIMILARITY_THRESHOLD,
    Embedder,
    HashingEmbedder,
    cosine_similarity,
    features,
)
from argus.core.patterns.formats import parse_error
from argus.core.patterns.pipeline import prepare_event
from tests.core.patterns.real_errors import (
    node_stack,
    python_traceback,
    sentry_envelope,
    write_node_app,
    write_shop,
)

TEXT = "KeyError\n<str>\ncart.py:load_user\ncart.py:checkout\nmain.py:<module>"


def test_vectors_have_the_declared_length_and_unit_norm():
    embedder: Embedder = HashingEmbedder(dimensions=256)
    vectors = embedder.embed([TEXT, "TypeError\nx is undefined"])
    assert [len(vector) for vector in vectors] == [256, 256]
    for vector in vectors:
        assert math.isclose(math.sqrt(sum(value * value for value in vector)), 1.0)


def test_text_without_features_gives_the_zero_vector():
    (vector,) = HashingEmbedder().embed(["   "])
    assert not any(vector)
    assert cosine_similarity(vector, vector) == 0.0


@pytest.mark.parametrize("dimensions", [0, 8, 10_000])
def test_unreasonable_dimensions_are_a_config_error(dimensions):
    with pytest.raises(ConfigError):
        HashingEmbedder(dimensions=dimensions)


def test_embedding_is_identical_in_another_process_with_another_hash_seed():
    code = (
        "import sys; from argus.core.patterns.embed import HashingEmbedder; "
        "print(repr(HashingEmbedder().embed([sys.argv[1]])[0]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, TEXT],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "4242"},
        cwd=Path(__file__).parents[3],
    )
    assert result.stdout.strip() == repr(HashingEmbedder().embed([TEXT])[0])


def test_innermost_frame_weighs_more_than_outer_frames():
    base = HashingEmbedder().embed_one(TEXT)
    other_inner = HashingEmbedder().embed_one(TEXT.replace("load_user", "load_product"))
    other_outer = HashingEmbedder().embed_one(TEXT.replace("main.py", "cli.py"))
    assert cosine_similarity(base, other_outer) > cosine_similarity(base, other_inner)


def test_identifiers_add_trigram_features():
    names = {name for name, _ in features("cart.py:loadUser")}
    assert {"i:cart.py:loadUser", "t:loa", "t:use"} <= names


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ([1.0, 0.0], [1.0, 0.0], 1.0),
        ([1.0, 0.0], [0.0, 2.0], 0.0),
        ([1.0, 1.0], [-1.0, -1.0], -1.0),
        ([0.0, 0.0], [1.0, 0.0], 0.0),
    ],
)
def test_cosine_similarity(first, second, expected):
    assert math.isclose(cosine_similarity(first, second), expected, abs_tol=1e-12)


def test_cosine_similarity_refuses_vectors_of_different_lengths():
    with pytest.raises(ValueError, match="differ in length"):
        cosine_similarity([1.0], [1.0, 0.0])


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Real errors: each bug twice or more (other root, lines, values, sometimes via the SDK)."""
    base = tmp_path_factory.mktemp("corpus")
    first, second = write_shop(base / "srv" / "r1"), write_shop(base / "home" / "u", padding=6)
    embedder = HashingEmbedder()
    labelled = []
    for kind, values in {
        "user": ("bob", "x-9"),
        "product": ("sku-2", "s 7"),
        "order": ('{"a": 1', '{"bb": 2'),
        "total": ("1,x", "3,yy"),
        "charge": ("150", "2000"),
        "wrapped": ("d", "e-7"),
    }.items():
        labelled.append((kind, parse_error(python_traceback(first, kind, values[0]))))
        labelled.append((kind, parse_error(python_traceback(second, kind, values[1]))))
    labelled.append(("user", parse_error(sentry_envelope(first, "user", "zed"))))
    # The same missing key reached through another caller: one bug, another path.
    labelled.append(("user", parse_error(python_traceback(second, "profile", "q"))))
    web_first, web_second = write_node_app(base / "web1"), write_node_app(base / "b" / "w", 4)
    for kind, values in {
        "js-user": ("42", "al"),
        "js-total": ("", "x"),
        "js-order": ("{x", "{y"),
    }.items():
        labelled.append((kind, parse_error(node_stack(web_first, kind[3:], values[0]))))
        labelled.append((kind, parse_error(node_stack(web_second, kind[3:], values[1]))))
    return [(label, prepare_event(event, embedder)) for label, event in labelled]


def test_threshold_separates_same_bugs_from_different_bugs(corpus):
    same, different = [], []
    for (label_a, first), (label_b, second) in combinations(corpus, 2):
        similarity = cosine_similarity(first.embedding, second.embedding)
        (same if label_a == label_b else different).append(similarity)
    assert min(same) >= DEFAULT_SIMILARITY_THRESHOLD
    assert max(different) < DEFAULT_SIMILARITY_THRESHOLD - 0.05


def test_hash_groups_agree_with_labels_except_for_the_other_caller(corpus):
    by_label = {}
    for label, prepared in corpus:
        by_label.setdefault(label, set()).add(prepared.signature.pattern_hash)
    assert by_label["user"] and len(by_label["user"]) == 2  # via checkout, and via show_profile
    assert all(len(hashes) == 1 for label, hashes in by_label.items() if label != "user")
    all_hashes = [hashes for label, hashes in by_label.items()]
    for first, second in combinations(all_hashes, 2):
        assert not first & second
