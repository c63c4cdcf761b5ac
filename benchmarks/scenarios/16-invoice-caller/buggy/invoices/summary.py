from invoices.invoice import Invoice


def invoice_summary(lines, tax_rate):
    invoice = Invoice(lines, tax_rate)
    return {"lines": len(lines), "tax_per_line": invoice.tax_per_line()}
