// Preloaded with `node --import ./bench/peak-rss.mjs …`: prints the process's peak resident set
// (a process can only read its own) as one JSON line on stderr when it exits.
process.on('exit', () => {
  // resourceUsage().maxRSS is in kilobytes.
  process.stderr.write(`${JSON.stringify({ maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
});
