// The element `selector` shows `text` (and is not just `unless`): what the page tells the audience.
([selector, text, unless]) => {
  const el = document.querySelector(selector);
  return !!el && el.textContent.includes(text) && el.textContent.trim() !== unless;
}
