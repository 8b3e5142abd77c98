// Type tests: wrong payloads must not compile (checked by `npm run typecheck`).
import { expectTypeOf } from 'vitest';
import { sendTo, type Handlers, type RuntimeEndpoint } from '../../../src/messaging';
import type { Status } from '../../../src/background/status';

declare const rt: RuntimeEndpoint;

expectTypeOf(sendTo(rt, 'background', 'status/get')).resolves.toEqualTypeOf<Status>();
expectTypeOf(sendTo(rt, 'background', 'contribute/set', { on: true })).resolves.toEqualTypeOf<Status>();
// @ts-expect-error — "on" must be a boolean
void sendTo(rt, 'background', 'contribute/set', { on: 'yes' });
// @ts-expect-error — contribute/set needs a payload
void sendTo(rt, 'background', 'contribute/set');
// @ts-expect-error — the offscreen document does not serve status/get
void sendTo(rt, 'offscreen', 'status/get');
// @ts-expect-error — unknown message type
void sendTo(rt, 'background', 'status/set');

// A handler map must cover every message of its protocol, with matching results.
// @ts-expect-error — missing 'diagnostics/get'
const partial: Handlers<'offscreen'> = { 'lifecycle/apply': () => ({ applied: 1 }) };
void partial;
const wrong: Handlers<'offscreen'> = {
  // @ts-expect-error — wrong result type
  'lifecycle/apply': () => ({ applied: 'one' }),
  'diagnostics/get': () => {
    throw new Error('unused');
  },
};
void wrong;

// Workflows and metrics (src/offscreen/workflow-host.ts, src/background/workflows.ts).
expectTypeOf(sendTo(rt, 'background', 'workflow/start', { definition: '{}' })).resolves.toEqualTypeOf<{
  id: string;
}>();
// @ts-expect-error — the definition travels as JSON text, not as an object
void sendTo(rt, 'background', 'workflow/start', { definition: { steps: [] } });
// @ts-expect-error — the input is hex text
void sendTo(rt, 'offscreen', 'workflow/start', { definition: '{}', inputHex: new Uint8Array(1) });
// @ts-expect-error — the offscreen document does not serve workflow/status (the background reads IndexedDB)
void sendTo(rt, 'offscreen', 'workflow/status', {});
expectTypeOf(sendTo(rt, 'background', 'metrics/get')).resolves.toHaveProperty('summary');
