(texts) => document.querySelectorAll('[data-race-form] [data-race-text]').forEach((field, i) => {
  field.value = texts[i];
})
