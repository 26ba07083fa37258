(before) => {
  // A new game, all its runs written, and Play done (its button back).
  const board = document.querySelector('[data-game-id]');
  return !!board.dataset.gameId && board.dataset.gameId !== before && !document.querySelector('[data-play]').disabled
    && document.querySelector('[data-demo]').dataset.game === 'over';
}
