def cart_label(count):
    return f"Items in cart: {count}"
