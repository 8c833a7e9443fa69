import type { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type InhibitHost, inhibitCommand, keptAwake, processInhibitor } from './sleep-inhibitor';

/** Each platform's inhibitor command, and the hold/release life of its child (a stand-in spawn). */
const host = (platform: NodeJS.Platform, found: Record<string, string> = {}): InhibitHost => ({ platform, pid: 4242, find: (name) => found[name] });

describe('sleep inhibition', () => {
  it('takes logind through systemd-inhibit on Linux, caffeinate on macOS, SetThreadExecutionState on Windows; nothing without a tool', () => {
    expect(inhibitCommand(host('linux', { 'systemd-inhibit': '/usr/bin/systemd-inhibit' }), 'Writing drives')).toEqual({
      command: '/usr/bin/systemd-inhibit',
      args: ['--what=sleep:idle', '--who=Macula Companion', '--why=Writing drives', '--mode=block', 'cat'],
    });
    expect(inhibitCommand(host('darwin', { caffeinate: '/usr/bin/caffeinate' }), 'x')).toEqual({ command: '/usr/bin/caffeinate', args: ['-i', '-w', '4242'] });
    expect(inhibitCommand(host('win32'), 'x')?.args.join(' ')).toMatch(/SetThreadExecutionState\(0x80000001\).*ReadToEnd/);
    expect(inhibitCommand(host('linux'), 'x')).toBeUndefined();
    expect(inhibitCommand(host('freebsd'), 'x')).toBeUndefined();
  });

  it('holds the lock in a child until release (stdin ended, child killed), once, even when the job throws', async () => {
    const children: { stdin: PassThrough; killed: number; ended: boolean }[] = [];
    const fakeSpawn = (() => {
      const child = Object.assign(new EventEmitter(), { stdin: new PassThrough(), killed: 0, ended: false, unref: () => undefined, kill: () => void child.killed++ });
      child.stdin.on('finish', () => void (child.ended = true));
      children.push(child);
      return child;
    }) as unknown as typeof spawn;
    const inhibitor = processInhibitor(host('linux', { 'systemd-inhibit': '/x/systemd-inhibit' }), fakeSpawn);
    await expect(keptAwake(inhibitor, 'Writing drives', () => Promise.reject(new Error('the flash failed')))).rejects.toThrow('the flash failed');
    await new Promise((r) => setImmediate(r));
    expect(children).toHaveLength(1);
    expect(children[0]).toMatchObject({ killed: 1, ended: true });
    const release = inhibitor.hold('again');
    release();
    release();
    expect(children[1]?.killed).toBe(1);
  });

  it('runs the job unhindered where no tool exists, or the tool cannot start', async () => {
    expect(await keptAwake(processInhibitor(host('linux')), 'x', () => Promise.resolve(7))).toBe(7);
    const broken = (() => {
      throw new Error('ENOENT');
    }) as unknown as typeof spawn;
    expect(await keptAwake(processInhibitor(host('linux', { 'systemd-inhibit': '/nope' }), broken), 'x', () => Promise.resolve(8))).toBe(8);
  });
});
