([pane, keys]) => keys.every((key) => {
  const write = document.querySelector(`#mw-${pane} [data-item-id="${key}"]`);
  return !!write && !('held' in write.dataset) && write.dataset.state !== 'pending';
})
