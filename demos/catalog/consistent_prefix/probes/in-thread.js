([pane, keys]) => keys.every((key) => document.querySelector(`#cp-${pane} [data-item-id="${key}"]`))
