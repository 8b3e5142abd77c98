/**
 * The transports a browser and `inos node` run. The same list works in both places: @libp2p/webrtc
 * resolves to the browser's RTCPeerConnection or to node-datachannel through its package `browser`
 * field. `iceServers` is empty unless the user configured servers: the library's default is a list of
 * public STUN hosts (MESH.md §1.3 trap 4), and on loopback/host candidates none are needed.
 */
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import { webRTC, webRTCDirect } from '@libp2p/webrtc';
import { webSockets } from '@libp2p/websockets';
import type { TransportFactory } from './create-node.ts';
import { assertNoPublicIceServers } from './public-hosts.ts';

/**
 * Largest WebRTC data channel message we send: @libp2p/webrtc's default, 16 KiB. Larger messages
 * were tried (measured 2026-11-27, webrtc-direct Node→Node, node-datachannel 0.33): at 64 KiB the
 * stream ended with "Unexpected EOF" before the first 1 MiB chunk arrived, at 16 KiB 4 × 1 MiB took
 * 1.05 s; in three headless Chromium profiles the chunk wants went unanswered at 64 KiB as well.
 */
export const DATA_CHANNEL_MESSAGE_BYTES = 16 << 10;

/**
 * Bytes a data channel may buffer before a write waits. @libp2p/webrtc's default is 2 MiB and it
 * resumes only when the buffer is empty (bufferedAmountLowThreshold 0), so a lane answering 8
 * pipelined 1 MiB chunks stalled and drained to nothing between bursts; this holds them all.
 */
export const DATA_CHANNEL_BUFFER_BYTES = 10 << 20;

export function meshTransports(
  iceServers: readonly RTCIceServer[] = [],
  options: { messageBytes?: number } = {},
): TransportFactory[] {
  const configured = iceServers.flatMap((s) => (Array.isArray(s.urls) ? s.urls : [s.urls]));
  assertNoPublicIceServers(iceServers, configured);
  const rtcConfiguration: RTCConfiguration = { iceServers: [...iceServers] };
  const dataChannel = {
    maxMessageSize: options.messageBytes ?? DATA_CHANNEL_MESSAGE_BYTES,
    maxBufferedAmount: DATA_CHANNEL_BUFFER_BYTES,
  };
  return [
    webSockets(),
    webRTC({ rtcConfiguration, dataChannel }),
    webRTCDirect({ rtcConfiguration, dataChannel }),
    circuitRelayTransport(),
  ] as TransportFactory[];
}

/** A browser is reachable only through a relay reservation upgraded to WebRTC. */
export const BROWSER_LISTEN: readonly string[] = ['/p2p-circuit', '/webrtc'];

/** `inos node`: WebSocket and webrtc-direct on one host/port (TCP and UDP share the number). */
export function nodeListen(host: string, port: number): string[] {
  const ip = host.includes(':') ? 'ip6' : 'ip4';
  return [`/${ip}/${host}/tcp/${port}/ws`, `/${ip}/${host}/udp/${port}/webrtc-direct`];
}
