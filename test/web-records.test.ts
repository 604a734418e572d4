/**
 * The project's command-center tabs worked from the dashboard in Chromium (the built `bosun
 * serve`, its own workspace and browser): a risk added through the schema-driven form, a refusal
 * only the server can make shown next to its field with what was typed kept, the risk edited and
 * archived; a milestone with a linked task and its progress; a budget line pushed over by a
 * transaction (highlighted, alerted); a Markdown and a PDF document uploaded, one analysed without
 * a model (extractive, its note shown) and a proposed action applied; a briefing written.
 * Screenshots go to test-results/project-*.png.
 */

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dashboard } from './helpers/browser.js';
import { openDashboard } from './helpers/browser.js';
import { runBosun } from './helpers/cli.js';
import { BACKUP_PLAN, contractPdf } from './helpers/documents.js';

let dash: Dashboard;
let page: Page;

/** The name attribute of the focused field. */
const focused = () => page.locator(':focus').getAttribute('name');
const tab = (name: string) => page.getByRole('tab', { name, exact: true }).click();
const form = (name: string) => page.getByRole('form', { name });
const row = (table: string, text: string) =>
  page.getByRole('table', { name: table }).getByRole('row').filter({ hasText: text });

beforeAll(async () => {
  dash = await openDashboard({ name: 'web-records' });
  page = dash.page;
  await dash.call('project.create', { key: 'WEB', name: 'Web launch' });
  await dash.call('task.create', { project: 'WEB', title: 'Write the launch post' });
  await dash.call('task.status', { task: 'WEB-1', status: 'in_progress' });
  await dash.call('task.status', { task: 'WEB-1', status: 'done' });
  await dash.signIn();
  await page.goto(`${dash.url}/#/projects/WEB`);
  await page.getByRole('heading', { name: 'WEB Web launch' }).waitFor();
});

afterAll(async () => {
  await dash?.close();
});

describe('the command-center tabs in Chromium', () => {
  it('adds a risk through the form, shows a server refusal at its field, edits and archives', async () => {
    await tab('Risks');
    await page.getByRole('button', { name: 'Add risk' }).click();
    const add = form('Add risk');
    // Focus goes to the first field; labels are real labels; required fields are marked.
    await expect.poll(focused).toBe('title');
    await add.getByLabel('Title').fill('Launch slips');
    await add.getByLabel('Likelihood').fill('4');
    await add.getByLabel('Impact').fill('5');
    await add.getByLabel('Review').fill('2027-01-15');
    await add.getByLabel('Title').press('Enter');
    const risk = row('Risk register', 'Launch slips');
    await risk.locator('.level-critical', { hasText: 'critical' }).waitFor();
    expect(await risk.textContent()).toContain('2027-01-15');

    // Spaces pass the browser's `required`; the server refuses them, naming title.
    await page.getByRole('button', { name: 'Add risk' }).click();
    await add.getByLabel('Title').fill('   ');
    await add.getByLabel('Likelihood').fill('2');
    await add.getByLabel('Impact').fill('3');
    await add.getByLabel('Description').fill('Typed text survives a refusal.');
    await add.getByRole('button', { name: 'Add risk' }).click();
    const fieldError = add.locator('.field.invalid .field-error');
    await fieldError.filter({ hasText: 'title: must not be empty' }).waitFor();
    await add.getByRole('alert').filter({ hasText: 'invalid_input' }).first().waitFor();
    expect(await add.locator('.field.invalid input').getAttribute('name')).toBe('title');
    expect(await focused()).toBe('title');
    expect(await add.getByLabel('Description').inputValue()).toBe('Typed text survives a refusal.');
    expect(await add.getByLabel('Impact').inputValue()).toBe('3');
    await dash.shot('project-risks-form');
    await add.getByLabel('Impact').press('Escape');
    await add.waitFor({ state: 'detached' });

    await page.getByRole('button', { name: 'Edit WEB-R1' }).click();
    const edit = form('Edit risk WEB-R1');
    expect(await edit.getByLabel('Title').inputValue()).toBe('Launch slips');
    await edit.getByLabel('Status').selectOption('mitigating');
    await edit.getByRole('button', { name: 'Save' }).click();
    await risk.getByRole('cell', { name: 'mitigating' }).waitFor();
    const shown = await dash.call<{ risk?: { status: string }; status?: string }>('risk.show', {
      risk: 'WEB-R1',
    });
    expect(shown.risk?.status ?? shown.status).toBe('mitigating');

    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Archive WEB-R1' }).click();
    await page.getByText('No risks yet.').waitFor();
    await page.getByLabel('Show archived').check();
    await row('Risk register', 'Launch slips').getByRole('button', { name: 'Restore' }).waitFor();
  });

  it('adds a milestone, links and unlinks a task, the progress following', async () => {
    await tab('Milestones');
    await page.getByRole('button', { name: 'Add milestone' }).click();
    const add = form('Add milestone');
    await add.getByLabel('Title').fill('Public beta');
    await add.getByLabel('Due').fill('2027-02-01');
    await add.getByRole('button', { name: 'Add milestone' }).click();
    const milestone = row('Milestones', 'Public beta');
    await milestone.waitFor();
    await page.getByRole('button', { name: 'Tasks of WEB-M1' }).click();
    const panel = page.getByRole('region', { name: 'Tasks of WEB-M1' });
    await panel.getByLabel('Task to link').selectOption('WEB-1');
    await panel.getByRole('button', { name: 'Link task' }).click();
    await panel.getByRole('button', { name: 'Unlink WEB-1' }).waitFor();
    await milestone.getByText('100%').waitFor();
    await panel.getByRole('button', { name: 'Unlink WEB-1' }).click();
    await panel.getByText('No tasks linked.').waitFor();
    await milestone.getByRole('cell', { name: '—' }).first().waitFor();
    expect(await milestone.textContent()).not.toContain('100%');
    await panel.getByLabel('Task to link').selectOption('WEB-1');
    await panel.getByRole('button', { name: 'Link task' }).click();
    await milestone.getByText('100%').waitFor();
  });

  it('shows what the CLI changed when the window gets the focus back', async () => {
    await tab('Stakeholders');
    await page.getByText('No stakeholders yet.').waitFor();
    const added = await runBosun(
      [
        'stakeholder',
        'add',
        'WEB',
        'Ada',
        '--role',
        'sponsor',
        '--influence',
        '5',
        '--interest',
        '4',
      ],
      { cwd: dash.cwd },
    );
    expect(added.status, added.stderr).toBe(0);
    await page.evaluate(() =>
      (globalThis as unknown as { dispatchEvent(e: Event): void }).dispatchEvent(
        new Event('focus'),
      ),
    );
    await row('Stakeholders', 'Ada').getByRole('cell', { name: 'sponsor' }).waitFor();
  });

  it('records a lesson with its tags', async () => {
    await tab('Lessons');
    await page.getByRole('button', { name: 'Add lesson' }).click();
    const add = form('Add lesson');
    await add.getByLabel('Title').fill('Announce the date only when the beta is done');
    await add.getByLabel('Insight').fill('a slipped date costs more than a late one');
    await add.getByLabel('Tags').fill('launch\nplanning');
    await add.getByRole('button', { name: 'Add lesson' }).click();
    const lesson = row('Lessons', 'Announce the date');
    await lesson.getByRole('cell', { name: 'launch, planning' }).waitFor();
    const listed = await dash.call<{ ref: string; tags: string[] }[]>('lesson.list', {
      project: 'WEB',
    });
    expect(listed).toMatchObject([{ ref: 'WEB-L1', tags: ['launch', 'planning'] }]);
  });

  it('adds a budget line and a transaction over it: the line is highlighted, an alert shown', async () => {
    await tab('Budget');
    await page.getByRole('button', { name: 'Add budget line' }).click();
    const add = form('Add budget line');
    await add.getByLabel('Category').fill('Hosting');
    await add.getByLabel('Planned').fill('100');
    await add.getByRole('button', { name: 'Add budget line' }).click();
    await row('Budget lines', 'Hosting').waitFor();
    await page.getByRole('button', { name: 'Add transaction to WEB-B1' }).click();
    const tx = form('Add transaction to WEB-B1');
    await tx.getByLabel('Amount').fill('150');
    await tx.getByLabel('Vendor').fill('Hetzner');
    await tx.getByRole('button', { name: 'Add transaction' }).click();
    await page.locator('tr.alert', { hasText: 'Hosting' }).waitFor();
    await page.getByRole('alert').filter({ hasText: 'Over their alert threshold' }).waitFor();
    await row('Transactions', 'Hetzner').waitFor();
    // The transactions' own form names the line; an unknown one is refused at that field.
    const transactions = page.getByRole('region', { name: 'Transactions' });
    await transactions.getByRole('button', { name: 'Add transaction' }).click();
    const general = form('Add transaction');
    await general.getByLabel('Line').fill('WEB-B9');
    await general.getByLabel('Amount').fill('-20');
    await general.getByLabel('Vendor').fill('Refund desk');
    await general.getByRole('button', { name: 'Add transaction' }).click();
    await general.locator('.field.invalid .field-error', { hasText: 'WEB-B9' }).waitFor();
    expect(await general.locator('.field.invalid input').getAttribute('name')).toBe('line');
    await general.getByLabel('Line').fill('WEB-B1');
    await general.getByRole('button', { name: 'Add transaction' }).click();
    await row('Transactions', 'Refund desk').waitFor();
    await row('Budget lines', 'Hosting').getByRole('cell', { name: '130.00' }).waitFor();
    await dash.shot('project-budget');
  });

  it('uploads Markdown and a PDF, analyses one without a model and applies a proposed action', async () => {
    await tab('Documents');
    const upload = page.getByLabel(/Upload a document/);
    await upload.setInputFiles({
      name: 'plan.md',
      mimeType: 'text/markdown',
      buffer: Buffer.from(BACKUP_PLAN),
    });
    await row('Documents', 'plan.md').waitFor();
    await upload.setInputFiles({
      name: 'contract.pdf',
      mimeType: 'application/pdf',
      buffer: Buffer.from(await contractPdf()),
    });
    const pdf = row('Documents', 'contract.pdf');
    await pdf.getByRole('cell', { name: 'NAS support contract' }).waitFor();
    expect(await pdf.textContent()).toContain('application/pdf');

    const planRef = (await row('Documents', 'plan.md').getByRole('cell').first().textContent())!;
    await page.getByRole('button', { name: `Analyse ${planRef}` }).click();
    const analysis = page.getByRole('region', { name: `Analysis 1 of ${planRef}` });
    await analysis.getByText('extractive').first().waitFor();
    await analysis.locator('.note', { hasText: 'no model configured' }).waitFor();
    await analysis.getByText('We decided to copy everything offsite every Sunday.').waitFor();
    await analysis.getByLabel(/A1: Order a second offsite disk/).check();
    await analysis.getByRole('button', { name: 'Apply selected' }).click();
    await analysis.getByText('→ WEB-A1').waitFor();
    await dash.shot('project-documents');

    await tab('Actions');
    await row('Actions', 'Order a second offsite disk').waitFor();
  });

  it('writes a briefing without a model (the digest) and lists it', async () => {
    await tab('Briefings');
    await page.getByRole('button', { name: 'Write a briefing' }).click();
    await page.locator('.note', { hasText: 'no model configured' }).waitFor();
    const briefing = page.locator('details.briefing').first();
    await briefing.getByText('digest').first().waitFor();
    expect(await briefing.getAttribute('open')).not.toBeNull();
    await dash.shot('project-briefings');
    expect(dash.foreign).toEqual([]);
  });
});
