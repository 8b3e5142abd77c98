/**
 * Names INOS puts on the wire through libp2p beyond the stream protocols and topics of
 * src/mesh/protocol/ids.ts (which this module does not repeat).
 */

/** DHT record keys are `/inos/<name>`; kad-dht routes validation by the first segment. */
export const DHT_NAMESPACE = 'inos';

/** The libp2p agent string peers see through identify; no version, so it does not fingerprint. */
export const AGENT = 'inos';
