(key) => {
  const pane = document.querySelector('[data-pane="naive"]');
  return {checkpoint: Number(pane.querySelector('[data-checkpoint]').dataset.checkpoint),
          missing: !pane.querySelector(`[data-item-id="${key}"]`)};
}
