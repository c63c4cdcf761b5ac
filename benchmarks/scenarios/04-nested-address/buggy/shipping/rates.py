RATES = {"FR": 4.5, "DE": 5.0}


def shipping_cost(order):
    country = order["address"]["country"]
    return RATES.get(country, 9.0) * order["weight"]
