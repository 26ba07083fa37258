() => {
  // Every drawing of each order card: its state, its steps' states, its notice.
  window.__cards = {};
  const look = () => document.querySelectorAll('#bp-orders [data-item-id]').forEach((card) => {
    const seen = window.__cards[card.dataset.itemId] = window.__cards[card.dataset.itemId] || [];
    const steps = [...card.querySelectorAll('[data-step]')].map((s) => s.dataset.step + ' ' + s.dataset.stepState);
    const notice = card.querySelector('.notice');
    const now = [card.dataset.state, steps.join(', '), notice ? notice.textContent.trim() : ''].join('|');
    if (seen[seen.length - 1] !== now) seen.push(now);
  });
  look();
  new MutationObserver(look).observe(document.body, {subtree: true, childList: true, attributes: true,
    attributeFilter: ['data-state', 'data-step-state']});
}
