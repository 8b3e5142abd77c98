/**
 * A requester process for tests/unit/cli/wallet-file.test.ts: opens the wallet at argv[2], mints,
 * then makes escrow calls (hold, pay, release) until it is killed, printing "acked <holdId>" after
 * each hold's calls returned (written to the journal and fsync'd before they return).
 */
import { targetToCompact } from '../../../src/capsules/pow/target.ts';
import { WalletFile } from '../../../src/cli/wallet-file.ts';

const path = process.argv[2]!;
const payee = process.argv[3]!;
const file = await WalletFile.open(path);
await file.wallet.mint(1, undefined, undefined, targetToCompact(2n ** 256n / 2n ** 12n - 1n));
await file.save();
process.stdout.write('ready\n');
const p = file.requesterPayments();
for (let i = 0; ; i++) {
  const hold = await p.hold(`job-${i}`, 2);
  await p.pay(hold.id, payee, 1, { jobId: `job-${i}`, capsule: 'crypto', method: 'sha256' });
  await p.release(hold.id);
  process.stdout.write(`acked ${hold.id}\n`);
}
