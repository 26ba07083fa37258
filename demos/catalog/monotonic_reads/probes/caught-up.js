([keys, rotation]) => {
  const has = (read) => keys.every((key) => read.keys.includes(key));
  const trick = window.__reads.trick, round = window.__reads.naive.slice(-rotation.length);
  return trick.length > 0 && has(trick[trick.length - 1]) && round.length === rotation.length
    && rotation.every((name) => round.some((read) => read.source === name)) && round.every(has);
}
