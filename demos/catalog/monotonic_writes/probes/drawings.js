() => {
  // Every write each pane ever showed applied while the write it follows was not, and every
  // write the trick held back (by the position it waited for).
  window.__writes = {naive: {early: []}, trick: {early: []}, held: []};
  const look = () => ['naive', 'trick'].forEach((pane) => {
    const root = document.getElementById(`mw-${pane}`);
    if (!root) return;
    root.querySelectorAll('[data-after]').forEach((write) => {
      const after = write.dataset.after;
      if ('held' in write.dataset) {
        if (!window.__writes.held.includes(after)) window.__writes.held.push(after);
        return;
      }
      const before = root.querySelector(`[data-position="${after}"]:not([data-held])`);
      const early = window.__writes[pane].early;
      if (after !== '0' && !before && write.dataset.state === 'confirmed' && !early.includes(write.dataset.itemId)) {
        early.push(write.dataset.itemId);
      }
    });
  });
  look();
  new MutationObserver(look).observe(document.body, {subtree: true, childList: true, attributes: true});
}
