/**
 * The platform reference for webrtc-direct browser→Node in bench:mesh: a raw RTCDataChannel from a
 * Chromium document to a `node-datachannel` peer in the bench process (its `polyfill` export, the
 * RTCPeerConnection @libp2p/webrtc itself runs on in Node). No libp2p, no noise, no yamux. The page
 * offers (bench/mesh/_raw-dc.ts `describe`), this process answers; `iceServers: []`, host candidates
 * only. One ordered channel, as @libp2p/webrtc opens. The Node side counts bytes and answers "ok";
 * the page sends with `rawDcSend` (same writer, same buffering as the document→document row).
 */
import type { Page } from 'playwright-core';
import { RTCPeerConnection } from 'node-datachannel/polyfill';
import { describe } from './_raw-dc.ts';

type DcGlobal = { __dcPc?: RTCPeerConnection; __dcChan?: Promise<RTCDataChannel> };

/** Connects `page` (offerer) to a new Node peer; resolves once the page's channel is open. */
export async function connectRawDcToNode(page: Page): Promise<{ close: () => void }> {
  const offer = await describe(page, null);
  const pc = new RTCPeerConnection({ iceServers: [] });
  pc.ondatachannel = (e) => {
    const ch = e.channel;
    ch.binaryType = 'arraybuffer';
    let got = 0;
    let want = Infinity;
    ch.onmessage = (m: MessageEvent<ArrayBuffer | string>) => {
      if (typeof m.data === 'string') want = Number(m.data);
      else got += m.data.byteLength;
      if (got >= want) {
        ch.send('ok');
        got = 0;
        want = Infinity;
      }
    };
  };
  await pc.setRemoteDescription({ type: 'offer', sdp: offer });
  await pc.setLocalDescription(await pc.createAnswer());
  if (pc.iceGatheringState !== 'complete')
    await new Promise<void>((r) =>
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') r();
      }),
    );
  const answer = pc.localDescription!.sdp;
  await page.evaluate(async (sdp) => {
    const g = globalThis as unknown as DcGlobal;
    await g.__dcPc!.setRemoteDescription({ type: 'answer', sdp });
    await Promise.race([
      g.__dcChan,
      new Promise((_, rej) =>
        setTimeout(() => rej(new Error('raw data channel to Node did not open in 20 s')), 20_000),
      ),
    ]);
  }, answer);
  return { close: () => pc.close() };
}
