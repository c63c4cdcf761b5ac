def cart_label(count):
    return "Items in cart: " + count
