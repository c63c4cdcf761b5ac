COUPONS = {"SAVE10": 0.10, "SAVE20": 0.20}


def apply_coupon(code, amount):
    code = code.strip().upper()
    return amount * (1 - COUPONS.get(code, 0.0))
