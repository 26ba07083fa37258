(keys) => Object.fromEntries(keys.map((key) => {
  const post = document.querySelector(`#cp-trick [data-item-id="${key}"], #cp-naive [data-item-id="${key}"]`);
  return [key, post ? Number(post.dataset.position) : 0];
}))
