import { browser } from 'wxt/browser';
import { sendTo, type Req, type Res } from '../messaging/messenger';
import type { BackgroundProtocol } from '../messaging/protocol';

/** The popup's only channel: typed requests to the background coordinator. */
export function ask<K extends keyof BackgroundProtocol & string>(
  type: K,
  ...req: Req<'background', K> extends undefined ? [] : [Req<'background', K>]
): Promise<Res<'background', K>> {
  return sendTo(browser.runtime, 'background', type, ...(req as [never]));
}
