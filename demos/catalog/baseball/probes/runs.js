() => {
  // The page time at which each run of a game was answered, from the play status line.
  window.__runs = [];
  const status = document.querySelector('[data-play-status]');
  new MutationObserver(() => {
    const run = /Run (\d+) of/.exec(status.textContent);
    if (run && Number(run[1]) > window.__runs.length) window.__runs.push(Date.now());
  }).observe(status, {childList: true, characterData: true, subtree: true});
}
