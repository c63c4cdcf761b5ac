// Cart helpers shared by the storefront pages.

export function lineTotal(item) {
  return item.unitPrice * item.quantity;
}

export function cartTotal(items) {
  return items.reduce((sum, item) => sum + lineTotal(item), 0);
}

export function formatPrice(amount) {
  return amount.toFixed(2);
}

export function removeItem(items, sku) {
  return items.filter((item) => item.sku !== sku);
}

export function changeQuantity(items, sku, quantity) {
  if (quantity <= 0) {
    return removeItem(items, sku);
  }
  return items.map((item) => (item.sku === sku ? { ...item, quantity } : item));
}
