/**
 * The run page and the Agents page in a real browser (Debian's Chromium, playwright-core) against
 * the built `bosun serve` with its worker: a shell step's output shows in the step panel while the
 * step still runs; pause, resume, cancel (through the confirm dialog) and fork; an agent from
 * bosun.yaml shows busy with its current step, then idle with its outcome; and a page holding a
 * token the server refuses lands on the sign-in form. Screenshots go to test-results/.
 */

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dashboard } from './helpers/browser.js';
import { openDashboard } from './helpers/browser.js';

/** Prints a line, sleeps, prints another: the first must show while it sleeps. */
const STREAM = `name: stream
steps:
  - id: talk
    runner: shell
    with:
      command: echo first line; sleep 1.5; echo second line
`;

/** Two slow steps, to pause, resume, cancel and fork. */
const SLOW = `name: slow
steps:
  - id: one
    runner: mock
    with: { output: 1, latency: 1500ms }
  - id: two
    runner: mock
    needs: one
    with: { output: 2, latency: 1500ms }
`;

/** A step run as the crew's builder. */
const CREW = `name: crew
steps:
  - id: design
    agent: builder
    with: { output: drafted, latency: 2s }
`;

const AGENTS = `
agents:
  builder:
    role: builder
    runner: mock
`;

/** The page's localStorage, typed here (this file is checked without the DOM library). */
type Storage = { getItem(k: string): string | null; setItem(k: string, v: string): void };

let dash: Dashboard;
let page: Page;

const step = (key: string, status: string) =>
  page.waitForSelector(`[data-step="${key}"][data-status="${status}"]`, { timeout: 15_000 });
const runStatus = (status: string) =>
  page.locator('h1 .badge', { hasText: status }).waitFor({ timeout: 15_000 });

/** Starts a run from the Runs page and waits for its page. */
async function startRun(file: string, name: string): Promise<string> {
  await dash.nav('Runs').click();
  await page.getByLabel(/Workflow file/).fill(file);
  await page.getByRole('button', { name: 'Start run' }).click();
  await page.getByRole('heading', { name: new RegExp(`^Run ${name}`) }).waitFor();
  return page.url();
}

beforeAll(async () => {
  dash = await openDashboard({
    name: 'web-runs',
    files: { 'stream.yaml': STREAM, 'slow.yaml': SLOW, 'crew.yaml': CREW },
    config: AGENTS,
  });
  page = dash.page;
  await dash.signIn();
});

afterAll(async () => {
  await dash?.close();
});

describe('the run page and the Agents page in Chromium', () => {
  it('shows a shell step’s output while it runs, and all of it after', async () => {
    await startRun('stream.yaml', 'stream');
    // Nothing selected: the page follows the step that starts.
    const stream = page.getByTestId('step-stream');
    await stream.filter({ hasText: 'first line' }).waitFor({ timeout: 15_000 });
    expect(await page.locator('[data-step="talk"]').getAttribute('data-status')).toBe('running');
    expect(await stream.textContent()).not.toContain('second line');
    await dash.shot('run-streaming');
    await step('talk', 'succeeded');
    await stream.filter({ hasText: 'second line' }).waitFor();
    expect(await stream.textContent()).toBe('first line\nsecond line');
    await runStatus('succeeded');
  });

  it('pauses and resumes a run, cancels one through the confirm dialog, and forks', async () => {
    await startRun('slow.yaml', 'slow');
    await step('one', 'running');
    await page.getByRole('button', { name: 'Pause' }).click();
    await runStatus('paused');
    await step('one', 'succeeded');
    // Paused: two is not claimed.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await page.locator('[data-step="two"]').getAttribute('data-status')).toBe('ready');
    await page.getByRole('button', { name: 'Resume' }).click();
    await step('two', 'running');
    await runStatus('running');
    await step('two', 'succeeded');
    await runStatus('succeeded');
    const finished = page.url();

    await startRun('slow.yaml', 'slow');
    await step('one', 'running');
    const dialogs: string[] = [];
    page.once('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.accept();
    });
    await page.getByRole('button', { name: 'Cancel' }).click();
    await runStatus('cancelled');
    expect(dialogs).toEqual(['Cancel this run? Running steps are stopped.']);
    await step('two', 'cancelled');

    await page.goto(finished);
    await page.locator('[data-step="two"]').click();
    await page.getByRole('button', { name: 'Fork from two' }).click();
    await page.waitForURL((url) => url.toString() !== finished);
    await page.getByRole('heading', { name: /^Run slow/ }).waitFor();
    const forkId = page.url().split('/runs/')[1];
    expect(forkId).toBeTruthy();
    await step('two', 'succeeded');
    await runStatus('succeeded');
    // one was reused from the parent, two ran again.
    const fork = await dash.call<{ run: { parentRunId: string | null; forkStep: string | null } }>(
      'run.show',
      { run: forkId! },
    );
    expect(fork.run).toMatchObject({ forkStep: 'two' });
    expect(fork.run.parentRunId).toBe(finished.split('/runs/')[1]);
  });

  it('shows an agent busy with its current step, then idle with its outcome', async () => {
    await startRun('crew.yaml', 'crew');
    await step('design', 'running');
    await dash.nav('Agents').click();
    const builder = page
      .getByRole('table', { name: 'Agents' })
      .getByRole('row', { name: /builder/ });
    await builder.getByText('busy').waitFor({ timeout: 5_000 });
    await builder.getByRole('link', { name: 'crew' }).waitFor();
    await builder.getByText('design').waitFor();
    await dash.shot('agents-busy');
    await builder.getByText('idle').waitFor({ timeout: 15_000 });
    await builder.getByText(/1 ok · 0 failed/).waitFor({ timeout: 15_000 });
    expect(await builder.getByRole('link', { name: 'crew' }).count()).toBe(0);
  });

  it('catches up with what happened before its event stream was up', async () => {
    // A page whose event stream reaches the server only after the run has ended: the stream
    // starts from that moment, so the run's events are never delivered — the page must refetch.
    const late = await dash.browser.newContext({ viewport: { width: 1280, height: 800 } });
    await late.addInitScript(
      (token) =>
        (globalThis as unknown as { localStorage: Storage }).localStorage.setItem(
          'bosun.token',
          token,
        ),
      dash.token,
    );
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    await late.routeWebSocket(/\/api\/events/, async (socket) => {
      await released;
      socket.connectToServer();
    });
    const started = await dash.call<{ id: string }>('run.start', { file: 'slow.yaml' });
    const view = await late.newPage();
    await view.goto(`${dash.url}/#/runs/${started.id}`);
    await view.waitForSelector('[data-step="one"][data-status="running"]', { timeout: 15_000 });
    await expect
      .poll(
        async () =>
          (await dash.call<{ run: { status: string } }>('run.show', { run: started.id })).run
            .status,
        { timeout: 15_000, interval: 200 },
      )
      .toBe('succeeded');
    expect(await view.locator('[data-step="two"]').getAttribute('data-status')).not.toBe(
      'succeeded',
    );
    release();
    await view.waitForSelector('[data-step="two"][data-status="succeeded"]', { timeout: 15_000 });
    await view.locator('h1 .badge', { hasText: 'succeeded' }).waitFor();
    await late.close();
  });

  it('sends a page whose token the server refuses back to the sign-in form', async () => {
    const other = await dash.browser.newContext({ viewport: { width: 1280, height: 800 } });
    // Runs in the page: it cannot use this file's functions.
    await other.addInitScript(() =>
      (globalThis as unknown as { localStorage: Storage }).localStorage.setItem(
        'bosun.token',
        'revoked-token',
      ),
    );
    const revoked = await other.newPage();
    await revoked.goto(`${dash.url}/#/runs`);
    await revoked.getByRole('alert').filter({ hasText: 'refused the token' }).waitFor();
    await revoked.getByLabel(/Access token/).waitFor();
    expect(
      await revoked.evaluate(() =>
        (globalThis as unknown as { localStorage: Storage }).localStorage.getItem('bosun.token'),
      ),
    ).toBeNull();
    await other.close();
    expect(dash.foreign).toEqual([]);
  });
});
