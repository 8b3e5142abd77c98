/**
 * `inos wallet [show|mint|export|import]`: the CLI's identity and credits ($INOS_HOME/wallet.json,
 * see wallet-file.ts). `mint` is how a requester with no earnings gets credits: bound proof-of-work
 * on this machine, with a progress bar on a TTY.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import {
  MICRO_CREDITS_PER_CREDIT,
  MIN_PASSPHRASE_CHARS,
  WALLET_BACKUP_WARNING,
  exportWallet,
  importWallet,
} from '../../ledger/index.ts';
import { MINT_PROOF_CREDITS, credits } from '../../trade/market-wallet.ts';
import { CliInputError, EXIT_OK } from '../cli-error.ts';
import type { CliIo } from '../io.ts';
import type { Command } from '../registry.ts';
import { WalletFile, walletPath } from '../wallet-file.ts';
import { progressBar } from './_progress.ts';

const USAGE = `Usage: inos wallet [show]
       inos wallet mint --credits N
       inos wallet export --out FILE [--yes]
       inos wallet import FILE [--yes]

The identity and credits of this machine's INOS wallet, kept in $INOS_HOME/wallet.json (default
~/.local/share/inos/wallet.json, mode 600; created on first use).

  show              node id, balance, held in escrow, available, earned from peers, minted, spent
  mint --credits N  mint at least N credits of proof-of-work bound to this identity (${MINT_PROOF_CREDITS} credits a
                    proof, about a second of one core each); a progress bar on a TTY
  export --out FILE the encrypted backup (scrypt + XChaCha20-Poly1305), passphrase from
                    $INOS_WALLET_PASSPHRASE (at least ${MIN_PASSPHRASE_CHARS} characters); --yes to overwrite FILE
  import FILE       replaces this wallet by the backup in FILE (its ledger is audited first); a wallet
                    that still holds credits is replaced only with --yes`;

function passphrase(): string {
  const p = process.env['INOS_WALLET_PASSPHRASE'];
  if (p === undefined || p.length < MIN_PASSPHRASE_CHARS)
    throw new CliInputError(
      `set INOS_WALLET_PASSPHRASE to the backup's passphrase (at least ${MIN_PASSPHRASE_CHARS} characters)`,
    );
  return p;
}

function flagValue(args: readonly string[], flag: string): string | undefined {
  const i = args.findIndex((a) => a === flag || a.startsWith(`${flag}=`));
  if (i < 0) return undefined;
  const a = args[i]!;
  const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[i + 1];
  if (v === undefined || v === '' || v.startsWith('--'))
    throw new CliInputError(`${flag} needs a value\n\n${USAGE}`);
  return v;
}

export async function showWallet(file: WalletFile, io: CliIo): Promise<void> {
  const b = await file.wallet.balance();
  io.writeStdout(
    [
      `node id    ${file.wallet.nodeId}`,
      `wallet     ${file.path}`,
      `balance    ${credits(b.balance)} credits`,
      `held       ${credits(b.held)} (escrow of jobs in progress)`,
      `available  ${credits(b.available)}`,
      `from peers ${credits(b.peerCredits)}`,
      `minted     ${credits(b.powCredits)}`,
      `spent      ${credits(b.spent)}`,
    ].join('\n') + '\n',
  );
}

/** Mints `credits` whole credits into the wallet, saving after every proof. */
export async function mintInto(file: WalletFile, amount: number, io: CliIo, tty: boolean): Promise<number> {
  const bar = progressBar(io, tty, 'minting');
  const minted = await file.wallet.mint(amount, (done, target) => {
    bar.update(done / target, `${credits(done)} / ${credits(target)} credits`);
    void file.save();
  });
  await file.save();
  bar.done(`minted ${credits(minted)} credits`);
  return minted;
}

export const walletCommand: Command = {
  name: 'wallet',
  summary: 'this machine’s identity and credits: show, mint (proof-of-work), export, import',
  usage: USAGE,
  async run(args, io) {
    const [sub = 'show', ...rest] = args;
    const path = walletPath();
    if (sub === 'show') {
      if (rest.length > 0) throw new CliInputError(`unexpected ${JSON.stringify(rest[0])}\n\n${USAGE}`);
      await showWallet(await WalletFile.open(path), io);
      return EXIT_OK;
    }
    if (sub === 'mint') {
      const text = flagValue(rest, '--credits');
      const n = Number(text);
      if (text === undefined || !/^\d{1,9}$/.test(text) || n < 1)
        throw new CliInputError(`mint needs --credits N, a whole number from 1 to 999999999\n\n${USAGE}`);
      const file = await WalletFile.open(path);
      await mintInto(file, n, io, process.stderr.isTTY === true);
      await showWallet(file, io);
      return EXIT_OK;
    }
    if (sub === 'export') {
      const out = flagValue(rest, '--out');
      if (out === undefined) throw new CliInputError(`export needs --out FILE\n\n${USAGE}`);
      if (existsSync(out) && !rest.includes('--yes'))
        throw new CliInputError(`${out} exists; pass --yes to overwrite it`);
      const file = await WalletFile.open(path);
      const snap = await file.wallet.snapshot();
      writeFileSync(out, await exportWallet(snap, passphrase()), { mode: 0o600 });
      io.writeStderr(`${WALLET_BACKUP_WARNING}\n`);
      io.writeStdout(`exported ${file.wallet.nodeId} (${snap.history.length} records) to ${out}\n`);
      return EXIT_OK;
    }
    if (sub === 'import') {
      const from = rest.find((a) => !a.startsWith('--'));
      if (from === undefined) throw new CliInputError(`import needs a backup FILE\n\n${USAGE}`);
      let text: string;
      try {
        text = readFileSync(from, 'utf8');
      } catch (err) {
        throw new CliInputError(`cannot read ${from}: ${err instanceof Error ? err.message : String(err)}`);
      }
      const contents = await importWallet(text, passphrase());
      if (existsSync(path)) {
        const current = await WalletFile.open(path);
        const b = await current.wallet.balance();
        if (current.wallet.nodeId !== contents.identity.nodeId && b.balance > 0 && !rest.includes('--yes'))
          throw new CliInputError(
            `this wallet still holds ${b.balance / MICRO_CREDITS_PER_CREDIT} credits; importing replaces its key and ` +
              'they are lost unless you exported it. Export it first, or pass --yes.',
          );
      }
      const tmp = `${path}.import`;
      writeFileSync(
        tmp,
        JSON.stringify({
          format: 'inos-cli-wallet',
          version: 1,
          nodeId: contents.identity.nodeId,
          secretKey: Buffer.from(contents.identity.secretKeyBytes()).toString('hex'),
          createdAt: contents.identity.createdAt,
          history: contents.history,
          peers: contents.peers,
        }),
        { mode: 0o600 },
      );
      // Audited (Ledger.restore) before it replaces anything.
      const imported = await WalletFile.open(tmp);
      const final = await WalletFile.reopenAs(imported, path);
      await showWallet(final, io);
      return EXIT_OK;
    }
    throw new CliInputError(`unknown wallet command ${JSON.stringify(sub)}\n\n${USAGE}`);
  },
};
