/**
 * The first-run disclosure: what will run, within which limits, and that the switch is the opt-in.
 * Plain words; the proof-of-work capsule is described for what it is (see docs: PRODUCT.md, Policy).
 */
export function Disclosure() {
  return (
    <section class="card disclosure" data-testid="disclosure" aria-labelledby="disclosure-title">
      <h2 id="disclosure-title">Before you turn it on</h2>
      <p>
        INOS uses spare CPU to run small, verifiable jobs for the INOS network, and pays you credits for
        results that are verified:
      </p>
      <ul>
        <li>hashing and encryption (crypto),</li>
        <li>compression and chunk storage (storage),</li>
        <li>image resizing, filters and format conversion of pictures sent by the network (image),</li>
        <li>rigid-body physics simulations (physics), each replayed bit for bit by other peers,</li>
        <li>speech detection, text recognition and small machine-learning models on the CPU (ml),</li>
        <li>
          compute shaders on your graphics card (shader), only while your limits allow the GPU (by default,
          when you are away),
        </li>
        <li>
          proof-of-work puzzles (double SHA-256) that back credit proofs and keep out fake accounts. No
          cryptocurrency is involved.
        </li>
      </ul>
      <p>
        By default it takes at most 1 worker at 50% while you use the computer, more only when you are away.
        It never runs on battery unless you allow it, and it cannot see your tabs, pages or files. Every limit
        is in Settings; you can snooze or pause at any time.
      </p>
      <p class="optin">
        <strong>Nothing runs until you turn on Contribute.</strong>
      </p>
    </section>
  );
}
