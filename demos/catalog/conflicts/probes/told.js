([kind, naive, trick]) => {
  const count = (selector) => document.querySelectorAll(selector).length;
  const conflicts = kind === 'edit' ? count('#conflicts [data-conflict]') : 0;
  return count(`#told-${kind}-naive [data-told]`) === naive && count(`#told-${kind}-trick [data-told]`) === trick
    && (kind !== 'edit' || conflicts === 1);
}
