/**
 * The second reference of bench:mesh (browser part): a raw RTCDataChannel between two Chromium
 * documents, no libp2p. Signalling is this Node process passing the SDP between the two pages
 * (playwright `evaluate`); `iceServers: []`, so only host candidates (loopback on this machine).
 * One ordered, reliable channel, as @libp2p/webrtc opens; the writer keeps at most HIGH bytes
 * buffered and waits for `bufferedamountlow` (threshold LOW), the receiver answers "ok" once it has
 * counted every byte. The time is the sender's: first send → "ok".
 */
import type { Page } from 'playwright-core';

const HIGH = 4 << 20;
const LOW = 1 << 20;

type DcGlobal = {
  __dcPc?: RTCPeerConnection;
  __dcChan?: Promise<RTCDataChannel>;
};

/** Opens an RTCPeerConnection in `page` and returns its complete local SDP (offer or answer). */
export async function describe(page: Page, remoteOffer: string | null): Promise<string> {
  return page.evaluate(async (offer) => {
    const g = globalThis as unknown as DcGlobal;
    g.__dcPc?.close();
    const pc = new RTCPeerConnection({ iceServers: [] });
    g.__dcPc = pc;
    if (offer === null) {
      const ch = pc.createDataChannel('bench', { ordered: true });
      ch.binaryType = 'arraybuffer';
      g.__dcChan = new Promise((r) => (ch.onopen = () => r(ch)));
      await pc.setLocalDescription(await pc.createOffer());
    } else {
      g.__dcChan = new Promise(
        (r) =>
          (pc.ondatachannel = (e) => {
            e.channel.binaryType = 'arraybuffer';
            r(e.channel);
          }),
      );
      await pc.setRemoteDescription({ type: 'offer', sdp: offer });
      await pc.setLocalDescription(await pc.createAnswer());
    }
    if (pc.iceGatheringState !== 'complete')
      await new Promise<void>((r) =>
        pc.addEventListener('icegatheringstatechange', () => {
          if (pc.iceGatheringState === 'complete') r();
        }),
      );
    return pc.localDescription!.sdp;
  }, remoteOffer);
}

/** A fresh connection A→B; resolves once A's channel is open. */
export async function connectRawDc(a: Page, b: Page): Promise<void> {
  const offer = await describe(a, null);
  const answer = await describe(b, offer);
  await b.evaluate(() => {
    const g = globalThis as unknown as DcGlobal & { __dcGot?: Promise<void> };
    void g.__dcChan!.then((ch) => {
      let got = 0;
      let want = Infinity;
      ch.onmessage = (e: MessageEvent<ArrayBuffer | string>) => {
        if (typeof e.data === 'string') want = Number(e.data);
        else got += e.data.byteLength;
        if (got >= want) {
          ch.send('ok');
          got = 0;
          want = Infinity;
        }
      };
    });
  });
  await a.evaluate(async (sdp) => {
    const g = globalThis as unknown as DcGlobal;
    await g.__dcPc!.setRemoteDescription({ type: 'answer', sdp });
    await Promise.race([
      g.__dcChan,
      new Promise((_, rej) =>
        setTimeout(() => rej(new Error('raw data channel did not open in 20 s')), 20_000),
      ),
    ]);
  }, answer);
}

/** Sends `bytes` in `messageBytes` messages over the open channel; ms until B's "ok". */
export async function rawDcSend(a: Page, bytes: number, messageBytes: number): Promise<number> {
  return a.evaluate(
    async ({ bytes, messageBytes, high, low }) => {
      const g = globalThis as unknown as DcGlobal;
      const ch = await g.__dcChan!;
      ch.bufferedAmountLowThreshold = low;
      const piece = new Uint8Array(messageBytes).map((_, i) => i & 0xff);
      const done = new Promise<void>((r) => (ch.onmessage = () => r()));
      const t0 = performance.now();
      ch.send(String(bytes));
      for (let sent = 0; sent < bytes; sent += piece.length) {
        if (ch.bufferedAmount > high)
          await new Promise<void>((r) => ch.addEventListener('bufferedamountlow', () => r(), { once: true }));
        ch.send(piece);
      }
      await done;
      return performance.now() - t0;
    },
    { bytes, messageBytes, high: HIGH, low: LOW },
  );
}

export async function closeRawDc(...pages: Page[]): Promise<void> {
  for (const p of pages) await p.evaluate(() => (globalThis as unknown as DcGlobal).__dcPc?.close());
}
