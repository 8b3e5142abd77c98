/** The slice of a `chrome.storage` area we use; WXT's fake browser provides the same in unit tests. */
export interface StorageAreaLike {
  get(key: string): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
}

/** Typed get/set of single keys over a storage area; reads are validated by the caller's parser. */
export class StateStore {
  constructor(private readonly area: StorageAreaLike) {}

  async read<T>(key: string, parse: (v: unknown) => T | null): Promise<T | null> {
    const got = await this.area.get(key);
    return parse(got[key]);
  }

  async write(key: string, value: unknown): Promise<void> {
    await this.area.set({ [key]: value });
  }
}
