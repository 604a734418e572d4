/**
 * Project budgets through the built CLI: budget lines and transactions added, listed, shown,
 * updated, archived and restored; the report with exact figures; the alert that fires once and
 * shows in `project show`, `status` and `activity`; bad input refused naming the field, nothing
 * stored. The CLI runs on the real clock, so the days here are counted from today.
 */

import { stripVTControlCharacters } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { bosunJson, initWorkspace, runBosun } from './helpers/cli.js';

interface LineRow {
  ref: string;
  category: string;
  plannedMinor: number;
  planned: string;
  actualMinor: number;
  variancePercent: string | null;
  thresholdPercent: number;
  over: boolean;
  alertState: string;
  archivedAt: string | null;
}

interface TransactionRow {
  ref: string;
  line: string;
  date: string;
  amountMinor: number;
  amount: string;
  currency: string;
  vendor: string;
  source: string;
  archivedAt: string | null;
}

const ESC = '\x1b[';
const DAY_MS = 86_400_000;

/** The day `offset` days from today (UTC), as the CLI's clock sees it. */
const day = (offset: number): string =>
  new Date(Date.now() + offset * DAY_MS).toISOString().slice(0, 10);

let cwd: string;

beforeAll(async () => {
  cwd = await initWorkspace('bosun-budget-');
  const created = await runBosun(
    ['project', 'create', 'HOME', 'Home lab', '--start-date', day(-9), '--due-date', day(30)],
    { cwd },
  );
  expect(created.status, created.stderr).toBe(0);
});

describe('bosun budget and transaction', () => {
  it('adds budget lines and books transactions, refunds included, in minor units', async () => {
    const hardware = await bosunJson<LineRow>(
      ['budget', 'add', 'HOME', 'Hardware', '1000', '--owner', 'ana'],
      { cwd },
    );
    expect(hardware).toMatchObject({
      ref: 'HOME-B1',
      plannedMinor: 100000,
      planned: '1000.00',
      actualMinor: 0,
      thresholdPercent: 10,
      over: false,
    });
    const text = await runBosun(
      ['budget', 'add', 'HOME', 'Hosting', '300.00', '--alert-percent', '5'],
      { cwd },
    );
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^REF\s+CATEGORY\s+PLANNED\s+ACTUAL\s+VARIANCE\s+VAR%\s+LIMIT%/);
    expect(text.stdout).toMatch(
      /HOME-B2\s+Hosting\s+300\.00\s+0\.00\s+-300\.00\s+-100\.0\s+5\s+no/,
    );

    const disks = await bosunJson<TransactionRow>(
      [
        'transaction',
        'add',
        'HOME-B1',
        '600',
        '--vendor',
        'Disk shop',
        '--source',
        'invoice',
        '--date',
        day(-5),
      ],
      { cwd },
    );
    expect(disks).toMatchObject({
      ref: 'HOME-T1',
      line: 'HOME-B1',
      date: day(-5),
      amountMinor: 60000,
      amount: '600.00',
      currency: 'USD',
      vendor: 'Disk shop',
      source: 'invoice',
    });
    // A negative amount is an argument, not a flag; `txn` names the noun too.
    const refund = await bosunJson<TransactionRow>(
      ['txn', 'add', 'HOME-B2', '-10', '--note', 'refund'],
      { cwd },
    );
    expect([refund.ref, refund.amountMinor, refund.date, refund.source]).toEqual([
      'HOME-T2',
      -1000,
      day(0),
      'manual',
    ]);
    await bosunJson(['transaction', 'add', 'HOME-B2', '320', '--date', day(-2)], { cwd });
    const list = await bosunJson<TransactionRow[]>(['transactions', 'list', 'HOME'], { cwd });
    expect(list.map((t) => [t.ref, t.amount])).toEqual([
      ['HOME-T1', '600.00'],
      ['HOME-T3', '320.00'],
      ['HOME-T2', '-10.00'],
    ]);
    const byLine = await bosunJson<TransactionRow[]>(['transaction', 'list', '--line', 'home-b2'], {
      cwd,
    });
    expect(byLine.map((t) => t.ref)).toEqual(['HOME-T3', 'HOME-T2']);
  });

  it('refuses bad input naming the field, with nothing stored', async () => {
    const cases: [string[], number, string][] = [
      [['budget', 'add', 'HOME', 'Travel', '1,000'], 2, 'planned: must be a decimal amount'],
      [['budget', 'add', 'HOME', 'Travel', '10', '--alert-percent', '-1'], 2, 'alertPercent:'],
      [
        ['transaction', 'add', 'HOME-B1', '1.005'],
        2,
        'amount: must have at most 2 decimals in USD',
      ],
      [['transaction', 'add', 'HOME-B1', '0'], 2, 'amount: must not be zero'],
      [['transaction', 'add', 'HOME-B1', '5', '--date', '2026-02-30'], 2, 'date:'],
      [['transaction', 'add', 'HOME-B9', '5'], 4, "line: no budget 'HOME-B9'"],
      [['transaction', 'update', 'HOME-T9', '--amount', '5'], 4, 'transaction:'],
    ];
    for (const [args, status, message] of cases) {
      const result = await runBosun(args, { cwd });
      expect(result.status, `${args.join(' ')}: ${result.stderr}`).toBe(status);
      expect(result.stderr).toContain(message);
    }
    expect((await bosunJson<LineRow[]>(['budget', 'list'], { cwd })).map((l) => l.ref)).toEqual([
      'HOME-B1',
      'HOME-B2',
    ]);
    expect(await bosunJson<TransactionRow[]>(['transaction', 'list'], { cwd })).toHaveLength(3);
  });

  it('fires the alert once when a line crosses its threshold, and shows it everywhere', async () => {
    // 600 + 510.01 = 1110.01: one cent over Hardware's 10%.
    await bosunJson(['transaction', 'add', 'HOME-B1', '510.01', '--date', day(-1)], { cwd });
    await bosunJson(['transaction', 'add', 'HOME-B1', '5'], { cwd });
    const line = await bosunJson<LineRow>(['budget', 'show', 'HOME-B1'], { cwd });
    expect(line).toMatchObject({ actualMinor: 111501, over: true, alertState: 'over' });

    const activity = await bosunJson<{ kind: string; summary: string }[]>(
      ['activity', '--kinds', 'budget-alert', '--source', 'runs'],
      { cwd },
    );
    expect(activity).toHaveLength(1);
    expect(activity[0]?.summary).toContain(
      'HOME-B1 Hardware: 1110.01 of 1000.00 USD is over its 10% threshold',
    );
    // The alert belongs to no run: the project's activity finds it by the key in its data.
    const projectActivity = await bosunJson<{ kind: string }[]>(
      ['activity', '--project', 'HOME', '--source', 'runs'],
      { cwd },
    );
    expect(projectActivity.map((entry) => entry.kind)).toEqual(['budget-alert']);

    const shown = await bosunJson<{ budget: { actualMinor: number; alerts: { ref: string }[] } }>(
      ['project', 'show', 'HOME'],
      { cwd },
    );
    expect(shown.budget.actualMinor).toBe(142501);
    expect(shown.budget.alerts.map((a) => a.ref)).toEqual(['HOME-B1']);

    const status = await runBosun(['status'], { cwd });
    expect(status.status, status.stderr).toBe(0);
    expect(status.stdout).toContain('Budget lines over their threshold');
    expect(status.stdout).toContain(
      'HOME-B1  Hardware: 1115.01 of 1000.00 USD (+11.5%), threshold 10%',
    );
  });

  it('reports actuals, variance, burn and projection exactly', async () => {
    const report = await bosunJson<Record<string, unknown>>(['budget', 'report', 'HOME'], { cwd });
    // Planned 1300.00; actual 600 + 510.01 + 5 + 320 - 10 = 1425.01; ten days elapsed (the start
    // nine days ago and today), thirty to go.
    expect(report).toMatchObject({
      project: 'HOME',
      currency: 'USD',
      asOf: day(0),
      totals: {
        plannedMinor: 130000,
        actualMinor: 142501,
        varianceMinor: 12501,
        variance: '125.01',
        variancePercent: '9.6',
      },
      burn: { since: day(-9), elapsedDays: 10, perDayMinor: 14250, perDay: '142.50' },
      projection: {
        until: day(30),
        remainingDays: 30,
        projectedMinor: 570004,
        projected: '5700.04',
        overrunMinor: 440004,
        overrun: '4400.04',
      },
      alerts: ['HOME-B1'],
    });
    const until = await bosunJson<{ projection: { projectedMinor: number } }>(
      ['budget', 'report', 'HOME', '--until', day(10)],
      { cwd },
    );
    expect(until.projection.projectedMinor).toBe(285002);

    const colored = await runBosun(['budget', 'report', 'HOME'], {
      cwd,
      env: { FORCE_COLOR: '1' },
    });
    expect(colored.status, colored.stderr).toBe(0);
    expect(colored.stdout).toContain(`${ESC}31myes`);
    expect(colored.stdout).not.toContain(`${ESC}31mno`);
    const plain = stripVTControlCharacters(colored.stdout);
    expect(plain).toMatch(/HOME-B1\s+Hardware\s+1000\.00\s+1115\.01\s+115\.01\s+11\.5\s+10\s+yes/);
    expect(plain).toMatch(/HOME-B2\s+Hosting\s+300\.00\s+310\.00\s+10\.00\s+3\.3\s+5\s+no/);
    expect(plain).toContain('5700.04');
    const uncolored = await runBosun(['budget', 'report', 'HOME'], {
      cwd,
      env: { FORCE_COLOR: '1', NO_COLOR: '1' },
    });
    expect(uncolored.stdout).not.toContain(ESC);
  });

  it('updates, archives and restores lines and transactions, all audited', async () => {
    const raised = await bosunJson<LineRow>(
      ['budget', 'update', 'HOME-B1', '--planned', '1200', '--no-owner'],
      { cwd },
    );
    expect(raised).toMatchObject({ plannedMinor: 120000, over: false, alertState: 'ok' });
    const moved = await bosunJson<TransactionRow>(
      ['transaction', 'update', 'HOME-T4', '--line', 'HOME-B2', '--amount', '4.99'],
      { cwd },
    );
    expect([moved.line, moved.amountMinor]).toEqual(['HOME-B2', 499]);
    const archived = await bosunJson<TransactionRow>(['transaction', 'archive', 'HOME-T4'], {
      cwd,
    });
    expect(archived.archivedAt).not.toBeNull();
    const again = await runBosun(['transaction', 'archive', 'HOME-T4'], { cwd });
    expect(again.status).toBe(5);
    await bosunJson(['transaction', 'restore', 'HOME-T4'], { cwd });
    await bosunJson(['budget', 'archive', 'HOME-B2'], { cwd });
    expect((await bosunJson<LineRow[]>(['budget', 'list'], { cwd })).map((l) => l.ref)).toEqual([
      'HOME-B1',
    ]);
    const onArchived = await runBosun(['transaction', 'add', 'HOME-B2', '1'], { cwd });
    expect(onArchived.status).toBe(5);
    expect(onArchived.stderr).toContain("'bosun budget restore HOME-B2' brings it back");
    await bosunJson(['budget', 'restore', 'HOME-B2'], { cwd });
    const audit = await bosunJson<{ operation: string }[]>(['audit', 'list', 'HOME-T4'], { cwd });
    expect(audit.map((e) => e.operation)).toEqual([
      'transaction.add',
      'transaction.update',
      'transaction.archive',
      'transaction.restore',
    ]);
  });

  it('keeps the project currency once the budget has lines', async () => {
    const refused = await runBosun(['project', 'update', 'HOME', '--budget-currency', 'EUR'], {
      cwd,
    });
    expect(refused.status).toBe(5);
    expect(refused.stderr).toContain('budgetCurrency: project HOME keeps its budget in USD');
    const yen = await runBosun(['project', 'create', 'YEN', 'Tokyo', '--budget-currency', 'JPY'], {
      cwd,
    });
    expect(yen.status, yen.stderr).toBe(0);
    const line = await bosunJson<LineRow>(['budget', 'add', 'YEN', 'Rent', '150000'], { cwd });
    expect([line.plannedMinor, line.planned]).toEqual([150000, '150000']);
    const decimals = await runBosun(['budget', 'add', 'YEN', 'Food', '10.5'], { cwd });
    expect(decimals.status).toBe(2);
    expect(decimals.stderr).toContain('planned: must have no decimals in JPY');
  });

  it('explains itself in --help with examples', async () => {
    const help = await runBosun(['budget', 'add', '--help'], { cwd });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('bosun budget add HOME Hardware 1200.00 --owner ana');
    const report = await runBosun(['budget', 'report', '--help'], { cwd });
    expect(report.stdout).toContain('--until');
    const txn = await runBosun(['transaction', '--help'], { cwd });
    expect(txn.stdout).toMatch(/add[\s\S]*list[\s\S]*archive/);
  });
});
