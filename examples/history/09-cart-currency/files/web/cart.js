// Cart helpers shared by the storefront pages.

const priceFormat = new Intl.NumberFormat("en-GB", { style: "currency", currency: "EUR" });

export function lineTotal(item) {
  return item.unitPrice * item.quantity;
}

export function cartTotal(items) {
  return items.reduce((sum, item) => sum + lineTotal(item), 0);
}

export function formatPrice(amount) {
  return priceFormat.format(amount);
}

export function cartSummary(items) {
  const count = items.reduce((sum, item) => sum + item.quantity, 0);
  return `${count} item${count === 1 ? "" : "s"}, ${formatPrice(cartTotal(items))}`;
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
