(key) => {
  const form = document.querySelector('[data-write-form]');
  if (!form || form.classList.contains('htmx-request')) return false;
  return form.querySelector('input[name=key]').value !== key || !!form.querySelector('[role=alert]');
}
