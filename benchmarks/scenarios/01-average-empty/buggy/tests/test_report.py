from metrics.report import summary


def test_summary():
    assert summary("x", [1, 2]) == "x: 1.50"
