/** `bosun mcp servers list|test [NAME]`: not built yet. */
export function runServersCommand(argv: readonly string[]): Promise<number> {
  process.stderr.write(`error[unavailable]: bosun mcp servers ${argv.join(' ')}: not built yet\n`);
  return Promise.resolve(10);
}
