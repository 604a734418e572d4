/**
 * The web dashboard in a real browser: Debian's Chromium driven by playwright-core against the
 * built `bosun serve` on a fresh workspace (with its worker). It signs in with the one-time link of
 * `--open` (and, in a second browser context, with the token form), creates a project and tasks
 * through the UI, moves cards on the board (an illegal move is refused with the server's reason),
 * starts a mock workflow with an approval gate from the Runs page, watches the DAG change colour
 * as events arrive (no reload), approves in the inbox, and sees the run succeed and its cost on
 * the run and Costs pages. A screenshot of every page goes to test-results/<page>.png.
 */

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dashboard } from './helpers/browser.js';
import { openDashboard } from './helpers/browser.js';
import { runBosun } from './helpers/cli.js';

/** build waits a little so the page can see it running; publish waits for a person. */
const GATED = `name: gated
steps:
  - id: build
    runner: mock
    with:
      output: built
      latency: 1500ms
      usage: { input_tokens: 1200, output_tokens: 300, cost_usd: 0.25 }
  - id: test
    runner: mock
    needs: build
    with: { output: tests passed, latency: 300ms }
  - id: lint
    runner: mock
    needs: build
    with: { output: lint clean }
  - id: publish
    runner: mock
    needs: [test, lint]
    approval: before
    on_reject: fail
    with:
      output: 'published {{ steps.build.output }}'
      usage: { input_tokens: 800, output_tokens: 200, cost_usd: 0.5 }
`;

/** One agent of the crew, for the Agents page. */
const AGENTS = `
agents:
  builder:
    role: builder
    runner: mock
`;

let dash: Dashboard;
let cwd: string;
let token: string;
let url: string;
let login: string;
let page: Page;

const shot = (name: string, target?: Page) => dash.shot(name, target);
const nav = (name: string) => dash.nav(name);

/** Waits until the step's node in the DAG shows `status`. */
const stepStatus = (key: string, status: string) =>
  page.waitForSelector(`[data-step="${key}"][data-status="${status}"]`, { timeout: 15_000 });

beforeAll(async () => {
  dash = await openDashboard({ name: 'web', files: { 'gated.yaml': GATED }, config: AGENTS });
  ({ cwd, token, url, login, page } = dash);
});

afterAll(async () => {
  await dash?.close();
});

describe('the web dashboard in Chromium', () => {
  it('signs in with the token form: a wrong token is refused, the right one kept', async () => {
    const other = await dash.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const form = await other.newPage();
    await form.goto(url);
    await form.getByLabel(/Access token/).fill('not-the-token-at-all');
    await form.getByRole('button', { name: 'Sign in' }).click();
    await form.getByRole('alert').filter({ hasText: 'refused the token' }).waitFor();
    await shot('login', form);
    await form.getByLabel(/Access token/).fill(token);
    await form.getByRole('button', { name: 'Sign in' }).click();
    await form.getByRole('heading', { name: 'Overview' }).waitFor();
    await form.reload();
    await form.getByRole('heading', { name: 'Overview' }).waitFor();
    await other.close();
  });

  it('signs in with the one-time link of --open, which then works no more', async () => {
    expect(login).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#login=[\w-]+$/);
    await page.goto(login);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(
      await page.evaluate(
        () => (globalThis as unknown as { location: { hash: string } }).location.hash,
      ),
    ).toBe('#/');
    const again = await fetch(new URL('/api/login', url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: login.split('#login=')[1] }),
    });
    expect(again.status).toBe(401);
  });

  it('creates a project and tasks, and moves cards, refusing an illegal move', async () => {
    await nav('Projects').click();
    await page.getByLabel('Key').fill('WEB');
    await page.getByLabel('Name').fill('Web launch');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByRole('heading', { name: 'WEB Web launch' }).waitFor();
    for (const title of ['Write the docs', 'Ship it']) {
      await page.getByRole('textbox', { name: 'New task' }).fill(title);
      await page.getByRole('button', { name: 'Add task' }).click();
      await page.locator('.card', { hasText: title }).waitFor();
    }
    const column = (status: string) => page.locator(`section.column[data-status="${status}"]`);
    await page.locator('[data-ref="WEB-1"]').dragTo(column('in_progress'));
    await column('in_progress').locator('[data-ref="WEB-1"]').waitFor();
    // todo → done skips in_progress: the server refuses, and the card goes back.
    await page.locator('[data-ref="WEB-2"]').dragTo(column('done'));
    await page.getByRole('alert').filter({ hasText: 'cannot go from todo to done' }).waitFor();
    await column('todo').locator('[data-ref="WEB-2"]').waitFor();
    expect(await column('done').locator('.card').count()).toBe(0);
    await page.locator('[data-ref="WEB-1"]').click();
    const detail = page.getByRole('complementary', { name: 'Task WEB-1' });
    await detail.getByRole('cell', { name: 'task.status' }).waitFor();
    await shot('project');
    const shown = await fetch(new URL('/api/task.show', url), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ task: 'WEB-1' }),
    });
    expect(((await shown.json()) as { task: { status: string } }).task.status).toBe('in_progress');
    // The command-center tabs render (a risk added through the CLI: the UI has no form for it).
    expect(
      (
        await runBosun(['risk', 'add', 'WEB', 'Launch slips', '-l', '4', '-i', '5'], {
          cwd,
        })
      ).status,
    ).toBe(0);
    await page.getByRole('tab', { name: 'Risks' }).click();
    await page.locator('.level-critical, .level-high').first().waitFor();
    await shot('project-risks');
    await page.getByRole('tab', { name: 'Budget' }).click();
    await page
      .getByRole('table', { name: 'Budget lines' })
      .or(page.getByText('No budget lines'))
      .waitFor();
    await nav('Projects').click();
    await page.getByRole('link', { name: 'WEB' }).waitFor();
    await shot('projects');
  });

  it('works from the keyboard: skip link, navigation, a card opened and moved', async () => {
    /** Presses Tab until the focused element's text matches, failing after `max` presses. */
    const tabTo = async (text: RegExp, max = 80) => {
      for (let i = 0; i < max; i++) {
        await page.keyboard.press('Tab');
        const focused = await page.evaluate(
          () =>
            (globalThis as unknown as { document: { activeElement: { textContent: string } } })
              .document.activeElement.textContent,
        );
        if (text.test(focused ?? '')) return;
      }
      throw new Error(`no element matching ${text} within ${max} Tab presses`);
    };
    const focusedId = () =>
      page.evaluate(
        () =>
          (globalThis as unknown as { document: { activeElement: { id: string } } }).document
            .activeElement.id,
      );
    await nav('Overview').click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Shift+Tab');
    await tabTo(/^Skip to content$/);
    await page.keyboard.press('Enter');
    expect(await focusedId()).toBe('main');
    await tabTo(/^Projects$/);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Projects', exact: true }).waitFor();
    await tabTo(/^WEB$/);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'WEB Web launch' }).waitFor();
    await tabTo(/^WEB-2/);
    await page.keyboard.press('Enter');
    const detail = page.getByRole('complementary', { name: 'Task WEB-2' });
    await detail.getByRole('heading', { name: /WEB-2 Ship it/ }).waitFor();
    await tabTo(/^todo/);
    // The Move-to list (its text is every option, the current one first in the list: todo).
    expect(
      await detail.getByLabel('Move to').evaluate((e) => e === e.ownerDocument.activeElement),
    ).toBe(true);
    await page.keyboard.press('ArrowDown');
    await page
      .locator('section.column[data-status="in_progress"]')
      .locator('[data-ref="WEB-2"]')
      .waitFor();
    await detail.getByRole('cell', { name: 'task.status' }).waitFor();
  });

  it('starts a gated workflow, shows its DAG live, and finishes it after approval', async () => {
    await nav('Runs').click();
    await page.getByLabel(/Workflow file/).fill('gated.yaml');
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.getByRole('heading', { name: /^Run gated/ }).waitFor();
    // A marker that a reload would wipe: the DAG must change colour without one.
    await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 42));
    await stepStatus('build', 'running');
    await shot('run-running');
    await stepStatus('build', 'succeeded');
    await stepStatus('publish', 'approval');
    expect(await page.locator('[data-step="test"]').getAttribute('data-status')).toBe('succeeded');
    expect(await page.evaluate(() => (globalThis as unknown as { marker: number }).marker)).toBe(
      42,
    );
    await page.locator('[data-step="build"]').click();
    await page.getByTestId('step-output').filter({ hasText: 'built' }).waitFor();
    await page.getByTestId('step-cost').filter({ hasText: '$0.25' }).waitFor();
    await page.getByRole('heading', { name: 'Evidence' }).waitFor();
    await page.getByTestId('step-evidence').filter({ hasText: 'No evidence recorded' }).waitFor();
    await shot('run-approval');
    const runUrl = page.url();

    await nav('Approvals').click();
    await page.getByRole('cell', { name: 'publish' }).waitFor();
    await shot('approvals');
    await page.getByLabel('Comment on publish').fill('ship it');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('Nothing waits for approval.').waitFor();
    await page.getByRole('cell', { name: 'ship it' }).waitFor();

    await page.goto(runUrl);
    await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 7));
    await stepStatus('publish', 'succeeded');
    await page.locator('h1 .badge', { hasText: 'succeeded' }).waitFor();
    await page.getByTestId('run-cost').filter({ hasText: '$0.75' }).waitFor();
    expect(await page.evaluate(() => (globalThis as unknown as { marker: number }).marker)).toBe(7);
    await shot('run');

    await nav('Runs').click();
    await page.getByRole('cell', { name: '$0.75' }).waitFor();
    await shot('runs');
    await nav('Costs').click();
    await page.getByTestId('cost-total').filter({ hasText: '$0.75' }).waitFor();
    await page.getByRole('img', { name: 'spend chart' }).waitFor();
    await shot('costs');
    await nav('Overview').click();
    await page.getByTestId('spend-today').filter({ hasText: '$0.75' }).waitFor();
    await page.getByRole('link', { name: 'WEB' }).waitFor();
    await shot('overview');
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot('overview-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await nav('Agents').click();
    await page.getByRole('heading', { name: 'Workers' }).waitFor();
    const builder = page
      .getByRole('table', { name: 'Agents' })
      .getByRole('row', { name: /builder/ });
    await builder.getByText('idle').waitFor();
    await builder.getByText('none yet').waitFor();
    await shot('agents');
  });

  it('serves the dashboard open, with the SPA fallback, and keeps /api behind the token', async () => {
    const index = await fetch(new URL('/projects/WEB', url));
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await index.text();
    expect(html).toContain('<div id="root">');
    // React's production build, even when the test runner (NODE_ENV=test) built it.
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(new URL(script!, url), { headers: { 'accept-encoding': 'gzip' } });
    expect(asset.headers.get('content-encoding')).toBe('gzip');
    const bundle = await asset.text();
    expect(bundle).not.toContain('jsxDEV');
    expect(bundle.length).toBeLessThan(400_000);
    expect((await fetch(new URL('/assets/missing.js', url))).status).toBe(404);
    const api = await fetch(new URL('/api/workspace.status', url), { method: 'POST' });
    expect(api.status).toBe(401);
    // Offline by design: every page above loaded nothing from another host.
    expect(dash.foreign).toEqual([]);
  });
});
