() => {
  const shown = [...document.querySelectorAll('#cp-trick [data-item-id]')].map((post) => Number(post.dataset.position));
  return shown.every((position, i) => i === 0 || position < shown[i - 1]);
}
