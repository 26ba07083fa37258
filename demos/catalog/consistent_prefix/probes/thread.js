() => {
  // When each post first showed in each pane, which showed before the post they follow, and
  // every gap the trick held later posts back for.
  window.__thread = {naive: {first: {}, early: []}, trick: {first: {}, early: []}, gaps: []};
  const look = () => {
    for (const pane of ['naive', 'trick']) {
      const list = document.getElementById(`cp-${pane}`), seen = window.__thread[pane];
      if (!list) continue;
      for (const post of list.querySelectorAll('[data-item-id]')) {
        const key = post.dataset.itemId, after = post.dataset.after;
        if (!(key in seen.first)) seen.first[key] = performance.now();
        const alone = after !== '0' && !list.querySelector(`[data-position="${after}"]`);
        if (alone && !seen.early.includes(key)) seen.early.push(key);
      }
    }
    // "waiting for #12 · 1 later post held back": only a gap with something behind it.
    const gap = document.querySelector('#cp-trick [data-waiting-for]'), gaps = window.__thread.gaps;
    const held = gap ? Number((/(\d+) later post/.exec(gap.textContent) || [0, 0])[1]) : 0;
    if (held > 0 && !gaps.includes(gap.dataset.waitingFor)) gaps.push(gap.dataset.waitingFor);
  };
  look();
  new MutationObserver(look).observe(document.body, {subtree: true, childList: true});
}
