// Cart helpers shared by the storefront pages.

const priceFormat = new Intl.NumberFormat("en-GB", { style: "currency", currency: "EUR" });

export function quantityOf(item) {
  const quantity = Number(item.quantity);
  return Number.isFinite(quantity) && quantity > 0 ? quantity : 0;
}

export function lineTotal(item) {
  return item.unitPrice * quantityOf(item);
}

export function cartTotal(items) {
  return items.reduce((sum, item) => sum + lineTotal(item), 0);
}

export function formatPrice(amount) {
  return priceFormat.format(amount);
}

export function cartSummary(items) {
  const count = items.reduce((sum, item) => sum + quantityOf(item), 0);
  return `${count} item${count === 1 ? "" : "s"}, ${formatPrice(cartTotal(items))}`;
}

export function parseBulkTiers(response) {
  const tiers = JSON.parse(response.body);
  return tiers.map((tier) => ({
    minQuantity: Number(tier.min_quantity),
    percent: Number(tier.percent),
  }));
}

export function bulkPercent(item, tiers) {
  let best = 0;
  for (const tier of tiers) {
    if (quantityOf(item) >= tier.minQuantity && tier.percent > best) {
      best = tier.percent;
    }
  }
  return best;
}

export function bulkBadge(item, tiers, customer) {
  if (customer.type == "wholesale") {
    const percent = bulkPercent(item, tiers);
    return percent > 0 ? `Bulk -${percent}%` : "";
  }
  return "";
}

export function saveCart(storage, items) {
  storage.setItem("cart", JSON.stringify(items));
}

export function restoreCart(storage) {
  try {
    const saved = JSON.parse(storage.getItem("cart"));
    return Array.isArray(saved) ? saved : [];
  } catch (error) {}
  return [];
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
