/** The slice of the `chrome` global that end-to-end tests call inside extension pages and the worker. */
export interface PageChrome {
  runtime: { sendMessage(message: unknown): Promise<unknown> };
  offscreen: { closeDocument(): Promise<void> };
}
