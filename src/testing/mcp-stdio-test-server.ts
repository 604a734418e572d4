/**
 * The test MCP server (mcp-test-server.ts) over stdio, as a program: started by tests as
 * `node --import tsx src/testing/mcp-stdio-test-server.ts` (see `stdioTestServerCommand`).
 *
 *   MCP_TEST_LOG   a file to append one JSON line per tool call to
 *   MCP_TEST_PID   a file to write this process's pid to
 *   MCP_TEST_EXIT  a message: write it on stderr and exit with status 3 instead of serving
 *   MCP_TEST_STAY  set: keep running when stdin closes (a server that only a signal stops)
 */

import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { appendFileSync, writeFileSync } from 'node:fs';
import { createTestMcpServer } from './mcp-test-server.js';

const log = process.env['MCP_TEST_LOG'];
const pidFile = process.env['MCP_TEST_PID'];
const exitWith = process.env['MCP_TEST_EXIT'];
if (process.env['MCP_TEST_STAY'] !== undefined) setInterval(() => {}, 60_000);

if (pidFile !== undefined) writeFileSync(pidFile, String(process.pid));
if (exitWith !== undefined) {
  process.stderr.write(`${exitWith}\n`);
  process.exit(3);
}
const server = createTestMcpServer((call) => {
  if (log !== undefined) appendFileSync(log, `${JSON.stringify(call)}\n`);
});
// Noise on stderr, as many real servers make: it must never reach bosun's stdout.
process.stderr.write('test server ready\n');
await server.connect(new StdioServerTransport());
