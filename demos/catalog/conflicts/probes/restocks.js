() => {
  window.__restocked = 0;
  document.addEventListener('htmx:afterRequest', (event) => {
    const config = event.detail.requestConfig, source = (config && config.elt) || event.detail.elt;
    if (source && source.matches && source.matches('[data-restock]')) window.__restocked += 1;
  });
}
