/** `bosun mcp config --client NAME [--write]`: not built yet. */
export function runConfigCommand(argv: readonly string[]): Promise<number> {
  process.stderr.write(`error[unavailable]: bosun mcp config ${argv.join(' ')}: not built yet\n`);
  return Promise.resolve(10);
}
