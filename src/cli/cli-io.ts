/** What the CLI needs from its process: working folder, environment and standard streams. */

export interface CliIo {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  write(text: string): void;
  writeError(text: string): void;
  readStdin(): string;
  /** Standard output is a terminal: live tables instead of one line per event. */
  readonly interactive?: boolean;
}
