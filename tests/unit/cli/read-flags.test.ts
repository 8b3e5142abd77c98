/** The one flag reader behind `inos run|submit|contribute|node|metrics`. */
import { describe, expect, it } from 'vitest';
import { readFlags } from '../../../src/cli/commands/_shared.ts';
import { parseContributeArgs } from '../../../src/cli/commands/contribute.ts';
import { parseNodeArgs } from '../../../src/cli/commands/node.ts';
import { parseSubmitArgs } from '../../../src/cli/commands/submit.ts';

const SPEC = { '--in': 'value', '--tag': 'list', '--json': 'switch' } as const;
const USAGE = 'Usage: inos test [--in FILE] [--tag T]... [--json]';

describe('readFlags', () => {
  it('reads --flag value, --flag=value, lists, switches and positionals in any order', () => {
    const f = readFlags(['a', '--tag', 'x', '--in=f.txt', '--json', '--tag=y', 'b'], SPEC, USAGE, {
      positional: true,
    });
    expect(Object.fromEntries(f.values)).toEqual({ '--in': 'f.txt' });
    expect(f.lists.get('--tag')).toEqual(['x', 'y']);
    expect([...f.switches]).toEqual(['--json']);
    expect(f.positional).toEqual(['a', 'b']);
  });

  it('keeps "-" (stdin) as a value and as a positional, and "=" inside a value', () => {
    expect(readFlags(['--in', '-'], SPEC, USAGE).values.get('--in')).toBe('-');
    expect(readFlags(['--in=a=b'], SPEC, USAGE).values.get('--in')).toBe('a=b');
    expect(readFlags(['-'], SPEC, USAGE, { positional: true }).positional).toEqual(['-']);
  });

  it.each([
    [['--in'], /^--in needs a value\n\nUsage: inos test/],
    [['--in='], /^--in needs a value/],
    [['--in', '--json'], /^--in needs a value/],
    [['--in', 'a', '--in', 'b'], /^--in was given twice/],
    [['--json=yes'], /^--json takes no value/],
    [['--nope'], /^unknown option "--nope"; allowed: --in, --tag, --json\n\nUsage/],
    [['-x'], /^unknown option "-x"/],
    [['extra'], /^unexpected argument "extra"/],
  ])('%j is refused with a reason and the usage', (args, message) => {
    expect(() => readFlags(args, SPEC, USAGE)).toThrow(message);
  });
});

describe('the commands share it', () => {
  it('every command names the flag whose value is missing', () => {
    expect(() => parseContributeArgs(['--workers'], {})).toThrow(/--workers needs a value/);
    expect(() => parseNodeArgs(['--listen', '--for', '3'])).toThrow(/--listen needs a value/);
    expect(() => parseSubmitArgs(['crypto', 'sha256', '--budget'], {})).toThrow(/--budget needs a value/);
  });

  it('list flags repeat, value flags do not', () => {
    const peer = '/ip4/127.0.0.1/tcp/1/ws/p2p/12D3KooWSJUjJQdAqb3f7T4FTQr5ZS6dGWV6VwoQLGbJjMtemaKR';
    expect(parseNodeArgs(['--bootstrap', peer, `--bootstrap=${peer}`]).bootstrap).toEqual([peer, peer]);
    expect(() => parseContributeArgs(['--workers', '1', '--workers=2'], {})).toThrow(/given twice/);
  });
});
