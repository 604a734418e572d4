/** bosun's version, shown by --version and announced to MCP clients. */
export const VERSION = '0.1.0';
