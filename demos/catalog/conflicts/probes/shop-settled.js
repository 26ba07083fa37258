([pane, n]) => {
  const orders = [...document.querySelectorAll(`#shop-${pane} > ol.orders > [data-item-id]`)];
  return orders.length === n && orders.every((order) => order.dataset.state !== 'pending');
}
