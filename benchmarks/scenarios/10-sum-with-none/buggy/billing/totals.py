def order_total(prices, tax_rate):
    subtotal = 0
    for price in prices:
        subtotal += price
    return round(subtotal * (1 + tax_rate), 2)
