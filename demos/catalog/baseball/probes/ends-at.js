([guarantee, score]) => {
  const reads = (window.baseballReads || {})[guarantee] || [];
  return reads.length > 0 && reads[reads.length - 1].score === score;
}
