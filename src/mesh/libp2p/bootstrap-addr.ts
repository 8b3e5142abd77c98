/**
 * Checks a bootstrap address the user typed: a multiaddr a browser can dial (WebSocket, secure or on a
 * private/loopback host, or webrtc-direct) that names the peer it expects (/p2p/<PeerId>), so Noise can
 * refuse an impostor. Returns null when fine, else a sentence saying what is wrong and what is allowed.
 */
import { multiaddr } from '@multiformats/multiaddr';

const EXAMPLE = '/ip4/127.0.0.1/tcp/4001/ws/p2p/12D3KooW…';

export function checkBootstrapAddr(text: string): string | null {
  if (typeof text !== 'string' || text.trim() === '')
    return `a bootstrap address is a multiaddr such as ${EXAMPLE}`;
  if (text.length > 1024) return 'a bootstrap address is at most 1024 characters';
  let names: string[];
  try {
    names = multiaddr(text.trim())
      .getComponents()
      .map((c) => c.name);
  } catch (err) {
    return `${JSON.stringify(text.slice(0, 80))} is not a multiaddr (${err instanceof Error ? err.message : String(err)}); expected e.g. ${EXAMPLE}`;
  }
  if (names.at(-1) !== 'p2p')
    return `${JSON.stringify(text.slice(0, 80))} must end in /p2p/<PeerId>, e.g. ${EXAMPLE}`;
  const transport =
    names.includes('webrtc-direct') || names.includes('ws') || names.includes('wss') || names.includes('tls');
  if (!transport)
    return `${JSON.stringify(text.slice(0, 80))} names no transport a browser can dial: use /ws, /wss (/tls/ws) or /webrtc-direct`;
  return null;
}

/** True when an address is on loopback or a private network (the node may then dial such hosts). */
export function isPrivateAddr(text: string): boolean {
  try {
    const host = multiaddr(text)
      .getComponents()
      .find(
        (c) =>
          c.name === 'ip4' || c.name === 'ip6' || c.name === 'dns' || c.name === 'dns4' || c.name === 'dns6',
      )?.value;
    if (host === undefined) return false;
    return (
      /^(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|169\.254\.)/.test(host) ||
      host === '::1' ||
      host === 'localhost' ||
      /^f[cd]/i.test(host)
    );
  } catch {
    return false;
  }
}
