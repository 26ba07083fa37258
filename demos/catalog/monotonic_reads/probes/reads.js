() => {
  // Every read each side made: where from, how fresh, its newest position and its items.
  window.__reads = {naive: [], trick: []};
  for (const pane of ['naive', 'trick']) {
    const reader = document.querySelector(`[data-pane="${pane}"] [data-reader]`);
    const look = () => {
      const read = reader.querySelector('[data-read]');
      const reads = window.__reads[pane];
      if (!read || (reads.length && reads[reads.length - 1].turn === read.dataset.turn)) return;
      const items = [...read.querySelectorAll('[data-item-id]')];
      const token = read.querySelector('.token');
      reads.push({turn: read.dataset.turn, source: read.dataset.source, watermark: Number(read.dataset.watermark),
                  top: items.length ? Number(items[0].dataset.position) : 0, keys: items.map((i) => i.dataset.itemId),
                  skipped: token && token.textContent.includes('skipped') ? 1 : 0});
    };
    look();
    new MutationObserver(look).observe(reader, {childList: true});
  }
}
