from invoicing.totals import invoice_total, line_total


def test_line_total():
    assert line_total(2.5, 4) == 10.0


def test_invoice_total():
    assert invoice_total([(10.0, 1, "standard")]) == 12.0
