import type { RuntimeEndpoint } from '../../../src/messaging/messenger';

type Listener = Parameters<RuntimeEndpoint['onMessage']['addListener']>[0];

/**
 * An in-memory model of chrome.runtime messaging between several contexts: a message reaches every
 * other context's listeners; the first `sendResponse` wins; with no response Chrome rejects
 * ("Receiving end does not exist").
 */
export function runtimeBus() {
  const contexts: Listener[][] = [];
  const endpoint = (): RuntimeEndpoint => {
    const mine: Listener[] = [];
    contexts.push(mine);
    return {
      onMessage: { addListener: (cb) => void mine.push(cb) },
      sendMessage: (message) =>
        new Promise((resolve, reject) => {
          let answered = false;
          let pending = 0;
          const respond = (r: unknown) => {
            if (!answered) {
              answered = true;
              resolve(r);
            }
          };
          for (const ctx of contexts) {
            if (ctx === mine) continue;
            for (const l of ctx) {
              const keep = l(structuredClone(message), { id: 'test' }, respond);
              if (keep === true) pending++;
            }
          }
          if (!answered && pending === 0)
            reject(new Error('Could not establish connection. Receiving end does not exist.'));
        }),
    };
  };
  return { endpoint };
}
