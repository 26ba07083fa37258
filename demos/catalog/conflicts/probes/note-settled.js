([pane, prefix]) => {
  const edits = [...document.querySelectorAll(`#note-${pane} [data-item-id^="${prefix}"]`)];
  return edits.length > 0 && edits.every((edit) => edit.dataset.state !== 'pending');
}
