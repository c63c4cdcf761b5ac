from invoicing.totals import late_fee


def test_no_fee_when_on_time():
    assert late_fee(100.0, 0) == 0.0


def test_fee_after_a_month():
    assert late_fee(100.0, 31) == 3.0
