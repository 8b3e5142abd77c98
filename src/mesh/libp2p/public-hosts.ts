/**
 * No build may contact a public STUN/TURN server or bootstrap node the user did not configure
 * (MESH.md §1.3 trap 4: @libp2p/webrtc falls back to Google/Twilio/Cloudflare/Mozilla STUN when
 * `rtcConfiguration` is left out). These are the well-known public hosts a default could name; a test
 * scans the built bundles for them and `assertNoPublicIceServers` guards every node we create.
 */
export const PUBLIC_HOST_PATTERNS: readonly RegExp[] = [
  /stun:[^"'\s]+/i,
  /turns?:[^"'\s]*\.(com|net|org|io)/i,
  /stun\.l\.google\.com/i,
  /global\.stun\.twilio\.com/i,
  /stun\.cloudflare\.com/i,
  /stun\.services\.mozilla\.com/i,
  /\.peerjs\.com/i,
  /bootstrap\.libp2p\.io/i,
];

/** Throws when an ICE configuration names any server the caller did not pass in on purpose. */
export function assertNoPublicIceServers(
  servers: readonly RTCIceServer[] | undefined,
  allowed: readonly string[],
): void {
  for (const server of servers ?? []) {
    const urls = Array.isArray(server.urls) ? server.urls : [server.urls];
    for (const url of urls) {
      if (!allowed.includes(url)) {
        throw new Error(
          `mesh: ICE server ${url} was not configured by the user; only [${allowed.join(', ')}] are allowed`,
        );
      }
    }
  }
}
