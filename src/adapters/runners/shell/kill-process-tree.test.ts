import { describe, expect, it } from 'vitest';
import { signalProcessGroup, terminateProcessGroup } from './kill-process-tree.js';
import type { KillFunction } from './shell-settings.js';

/** A process group that answers signals the way the kernel would, recording what it was sent. */
function fakeGroup(options: { diesOn: NodeJS.Signals | 'never-existed' }): {
  kill: KillFunction;
  sent: (NodeJS.Signals | 0)[];
} {
  const sent: (NodeJS.Signals | 0)[] = [];
  let alive = options.diesOn !== 'never-existed';
  const kill: KillFunction = (pid, signal) => {
    expect(pid).toBe(-4242);
    if (!alive) throw Object.assign(new Error('kill ESRCH'), { code: 'ESRCH' });
    sent.push(signal);
    if (signal === options.diesOn) alive = false;
  };
  return { kill, sent };
}

describe('terminateProcessGroup', () => {
  it('sends SIGTERM to the group and stops as soon as the group is gone', async () => {
    const group = fakeGroup({ diesOn: 'SIGTERM' });
    await terminateProcessGroup(4242, { kill: group.kill, graceMs: 60_000, pollMs: 1 });
    expect(group.sent).toEqual(['SIGTERM']);
  });

  it('sends SIGKILL once the grace period is over if the group ignored SIGTERM', async () => {
    const group = fakeGroup({ diesOn: 'SIGKILL' });
    await terminateProcessGroup(4242, { kill: group.kill, graceMs: 20, pollMs: 5 });
    expect(group.sent[0]).toBe('SIGTERM');
    expect(group.sent.at(-1)).toBe('SIGKILL');
    expect(group.sent.slice(1, -1).every((signal) => signal === 0)).toBe(true);
  });

  it('does nothing more for a group that is already gone', async () => {
    const group = fakeGroup({ diesOn: 'never-existed' });
    await terminateProcessGroup(4242, { kill: group.kill, graceMs: 60_000 });
    expect(group.sent).toEqual([]);
  });
});

describe('signalProcessGroup', () => {
  it('addresses the group (a negative pid) and says whether anyone was there', () => {
    const group = fakeGroup({ diesOn: 'SIGTERM' });
    expect(signalProcessGroup(4242, 0, group.kill)).toBe(true);
    expect(signalProcessGroup(4242, 'SIGTERM', group.kill)).toBe(true);
    expect(signalProcessGroup(4242, 0, group.kill)).toBe(false);
  });

  it('treats a group it may not signal as nothing to do', () => {
    const kill: KillFunction = () => {
      throw Object.assign(new Error('kill EPERM'), { code: 'EPERM' });
    };
    expect(signalProcessGroup(4242, 'SIGTERM', kill)).toBe(false);
  });
});
