/** `inos wallet`, `inos submit`, `inos contribute`: arguments, the test-only switch, the wallet file's durability and audit. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { targetToCompact } from '../../../src/capsules/pow/target.ts';
import { parseContributeArgs } from '../../../src/cli/commands/contribute.ts';
import { parseSubmitArgs } from '../../../src/cli/commands/submit.ts';
import { memoryIo } from '../../../src/cli/io.ts';
import { main } from '../../../src/cli/main.ts';
import { WalletFile } from '../../../src/cli/wallet-file.ts';
import { Identity } from '../../../src/ledger/index.ts';

const EASY = targetToCompact(2n ** 256n / 2n ** 12n - 1n);

describe('inos submit arguments', () => {
  it('accepts the documented options', () => {
    const o = parseSubmitArgs(
      [
        'crypto',
        'sha256',
        '--budget',
        '7',
        '--redundancy',
        '3',
        '--deadline',
        '2m',
        '--json',
        '--mint',
        '--bootstrap',
        '/ip4/127.0.0.1/tcp/1/ws/p2p/x',
      ],
      {},
    );
    expect(o).toMatchObject({
      library: 'crypto',
      method: 'sha256',
      budget: 7,
      redundancy: 3,
      deadlineMs: 120_000,
      json: true,
      mint: true,
    });
  });

  it('refuses bad input with what is allowed', () => {
    expect(() => parseSubmitArgs(['nope', 'x'], {})).toThrow(/unknown library "nope"; known: .*crypto/);
    expect(() => parseSubmitArgs(['crypto', 'nope'], {})).toThrow(/crypto has no method "nope"; it has/);
    expect(() => parseSubmitArgs(['crypto', 'sha256', '--deadline', 'soon'], {})).toThrow(
      /--deadline must be a duration such as 60s/,
    );
    expect(() => parseSubmitArgs(['crypto', 'sha256', '--params', '[1]'], {})).toThrow(
      /--params must be a JSON object/,
    );
    expect(() => parseSubmitArgs(['crypto', 'sha256', '--redundancy', '9'], {})).toThrow(/from 1 to 5/);
  });

  it('without a bootstrap peer or a local node says how to get one (exit 2)', async () => {
    const home = mkdtempSync(join(tmpdir(), 'inos-submit-'));
    const before = process.env['INOS_HOME'];
    process.env['INOS_HOME'] = home;
    const saved = process.env['INOS_BOOTSTRAP'];
    delete process.env['INOS_BOOTSTRAP'];
    try {
      const io = memoryIo();
      expect(await main(['submit', 'crypto', 'sha256'], io)).toBe(2);
      expect(io.stderr()).toMatch(/no local inos node: start one with `inos node` or pass --bootstrap/);
    } finally {
      if (before === undefined) delete process.env['INOS_HOME'];
      else process.env['INOS_HOME'] = before;
      if (saved !== undefined) process.env['INOS_BOOTSTRAP'] = saved;
    }
  });
});

describe('inos contribute arguments', () => {
  it('refuses the output-corrupting switch outside tests', () => {
    expect(() => parseContributeArgs(['--test-corrupt-outputs'], {})).toThrow(/test-only switch/);
    expect(parseContributeArgs(['--test-corrupt-outputs'], { INOS_TEST_FLAGS: '1' }).corrupt).toBe(true);
    expect(() => parseContributeArgs(['--capsules', 'crypto,warp'], {})).toThrow(
      /unknown capsule "warp"; allowed:/,
    );
    expect(() => parseContributeArgs(['--workers', '0'], {})).toThrow(/from 1 to 16/);
  });
});

describe('the CLI wallet file', () => {
  it('has every hold and pledge on disk before the bundle can leave (a killed requester cannot fork)', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'inos-wallet-')), 'wallet.json');
    const a = await WalletFile.open(path);
    const minted = await a.wallet.mint(1, undefined, undefined, EASY);
    await a.save();
    const payments = a.requesterPayments();
    const hold = await payments.hold('job-killed', minted);
    const payee = Identity.generate(0).nodeId;
    await payments.pledge!(hold.id, payee, Math.floor(minted / 2), {
      jobId: 'job-killed',
      capsule: 'crypto',
      method: 'sha256',
      redeemAfter: Date.now() + 60_000,
    });
    // Read back as a restarted process would, with no save after the calls returned.
    const kinds = (await (await WalletFile.open(path)).wallet.ledger.history()).map((e) => e.kind);
    expect(kinds).toContain('hold');
    expect(kinds).toContain('pledge');
  });

  it('survives a restart (re-audited on open) and refuses an edited file', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'inos-wallet-')), 'wallet.json');
    const a = await WalletFile.open(path);
    const minted = await a.wallet.mint(1, undefined, undefined, EASY);
    await a.save();
    const b = await WalletFile.open(path);
    expect(b.wallet.nodeId).toBe(a.wallet.nodeId);
    expect((await b.wallet.balance()).balance).toBe(minted);
    expect(readFileSync(path).length).toBeGreaterThan(0);
    // The journal (one record a line): inflate the last own record that carries credits.
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    const at = lines.findLastIndex((l) => /"o":\{.*"credits":\d/.test(l));
    const row = JSON.parse(lines[at]!) as { o: { credits: number } };
    row.o.credits *= 100;
    lines[at] = JSON.stringify(row);
    writeFileSync(path, `${lines.join('\n')}\n`);
    await expect(WalletFile.open(path)).rejects.toThrow(/fails an audit|signature/);
  }, 60_000);
});
