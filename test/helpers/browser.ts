/**
 * The dashboard in a real browser, for the web tests: a fresh workspace served by the built
 * `bosun serve --open` (with its worker), and Debian's Chromium driven by playwright-core at
 * 1280×800. What the page logs goes to test-results/<name>.console.log, and any request the page
 * makes to another host is recorded (the dashboard must work offline: no fonts, no CDNs).
 */

import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { expect } from 'vitest';
import type { BackgroundBosun } from './cli.js';
import { runBosun, startBosun, tempDir } from './cli.js';

export const CHROMIUM = '/usr/bin/chromium';
export const RESULTS = resolve(import.meta.dirname, '..', '..', 'test-results');

export interface Dashboard {
  readonly cwd: string;
  readonly token: string;
  /** Where the server listens (`http://127.0.0.1:PORT`). */
  readonly url: string;
  /** `--open`'s one-time login link. */
  readonly login: string;
  readonly server: BackgroundBosun;
  readonly browser: Browser;
  readonly context: BrowserContext;
  readonly page: Page;
  /** Requests the page made to anything but the server. */
  readonly foreign: string[];
  /** Saves a full-page screenshot as test-results/<name>.png. */
  shot(name: string, target?: Page): Promise<void>;
  /** A link of the side navigation. */
  nav(name: string): ReturnType<Page['getByRole']>;
  /** POST /api/<operation> with the token, the JSON answer (status checked to be 200). */
  call<T = unknown>(operation: string, input: Record<string, unknown>): Promise<T>;
  /** Signs in through the one-time link and waits for the overview. */
  signIn(): Promise<void>;
  close(): Promise<void>;
}

export interface DashboardOptions {
  /** Files to write into the workspace, by relative path. */
  readonly files?: Readonly<Record<string, string>>;
  /** YAML appended to .bosun/bosun.yaml. */
  readonly config?: string;
  /** Extra `bosun serve` flags. */
  readonly serveArgs?: readonly string[];
  /** Names the console log. */
  readonly name: string;
}

export async function openDashboard(options: DashboardOptions): Promise<Dashboard> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install it: apt-get install -y chromium`);
  }
  mkdirSync(RESULTS, { recursive: true });
  const cwd = tempDir('bosun-web-');
  expect((await runBosun(['init'], { cwd })).status).toBe(0);
  for (const [path, text] of Object.entries(options.files ?? {})) {
    writeFileSync(join(cwd, path), text);
  }
  if (options.config) {
    const config = join(cwd, '.bosun', 'bosun.yaml');
    writeFileSync(config, `${readFileSync(config, 'utf8')}${options.config}`);
  }
  const token = readFileSync(join(cwd, '.bosun', 'token'), 'utf8').trim();
  const server = startBosun(
    ['serve', '--port', '0', '--json', '--open', ...(options.serveArgs ?? [])],
    { cwd },
  );
  const [line] = await server.waitForOutput(/\{.*"url".*\}/, 15_000);
  const { url, login } = JSON.parse(line) as { url: string; login: string };
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const log = join(RESULTS, `${options.name}.console.log`);
  writeFileSync(log, '');
  page.on('console', (m) => appendFileSync(log, `${m.type()}: ${m.text()}\n`));
  page.on('pageerror', (e) => appendFileSync(log, `pageerror: ${e.message}\n`));
  const foreign: string[] = [];
  const origin = new URL(url).host;
  context.on('request', (request) => {
    const target = new URL(request.url());
    if (target.protocol.startsWith('http') && target.host !== origin) foreign.push(request.url());
  });
  return {
    cwd,
    token,
    url,
    login,
    server,
    browser,
    context,
    page,
    foreign,
    async shot(name, target = page) {
      await target.screenshot({ path: join(RESULTS, `${name}.png`), fullPage: true });
    },
    nav: (name) => page.getByRole('navigation').getByRole('link', { name, exact: true }),
    async call<T>(operation: string, input: Record<string, unknown>) {
      const response = await fetch(new URL(`/api/${operation}`, url), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(input),
      });
      const body = (await response.json()) as T;
      expect(response.status, JSON.stringify(body)).toBe(200);
      return body;
    },
    async signIn() {
      await page.goto(login);
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
    },
    async close() {
      await browser.close();
      process.kill(server.pid, 'SIGTERM');
      await server.exited;
    },
  };
}
