/**
 * The BlobBackend contract, run against every implementation: MemoryBlobBackend, DirBackend (a temp
 * dir) and OpfsBackend over a small in-memory fake of the OPFS handle API (Node has no OPFS; the
 * real one is for an end-to-end test in the offscreen document). The fake follows the spec's error
 * behaviour: a missing entry rejects with a DOMException named NotFoundError.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { MemoryBlobBackend, type BlobBackend } from '../../../../src/capsules/storage/backends.ts';
import { DirBackend } from '../../../../src/capsules/storage/dir-backend.ts';
import { OpfsBackend } from '../../../../src/capsules/storage/opfs-backend.ts';

const notFound = (name: string) => new DOMException(`${name} not found`, 'NotFoundError');

class FakeFile {
  data = new Uint8Array(0);
  readonly kind = 'file';
  async getFile() {
    const data = this.data.slice();
    return { arrayBuffer: async () => data.buffer };
  }
  async createWritable() {
    let pending = new Uint8Array(0);
    return {
      write: async (b: Uint8Array) => {
        pending = b.slice();
      },
      close: async () => {
        this.data = pending; // swap-file semantics: visible only on close
      },
      abort: async () => {},
    };
  }
}

class FakeDir {
  readonly kind = 'directory';
  readonly children = new Map<string, FakeDir | FakeFile>();
  async getDirectoryHandle(name: string, opts?: { create?: boolean }) {
    let c = this.children.get(name);
    if (!c && opts?.create) this.children.set(name, (c = new FakeDir()));
    if (!(c instanceof FakeDir)) throw notFound(name);
    return c;
  }
  async getFileHandle(name: string, opts?: { create?: boolean }) {
    let c = this.children.get(name);
    if (!c && opts?.create) this.children.set(name, (c = new FakeFile()));
    if (!(c instanceof FakeFile)) throw notFound(name);
    return c;
  }
  async removeEntry(name: string) {
    if (!this.children.delete(name)) throw notFound(name);
  }
  async *entries() {
    yield* this.children.entries();
  }
}

let tmp = '';
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const backends: Record<string, () => Promise<BlobBackend>> = {
  memory: async () => new MemoryBlobBackend(),
  'directory (Node)': async () => {
    tmp ||= await mkdtemp(join(tmpdir(), 'inos-blobs-'));
    return new DirBackend(join(tmp, String(Math.random()).slice(2)));
  },
  'OPFS (fake handles)': async () => {
    const top = new FakeDir();
    vi.stubGlobal('navigator', { storage: { getDirectory: async () => top } });
    return OpfsBackend.open('inos-chunks');
  },
};

describe.each(Object.keys(backends))('BlobBackend: %s', (which) => {
  const make = backends[which] as () => Promise<BlobBackend>;

  it('writes, reads, replaces, lists and deletes by path, with folders from the path', async () => {
    const b = await make();
    expect(await b.list()).toEqual([]);
    expect(await b.read('ab/missing')).toBeUndefined();
    await b.delete('ab/missing'); // no error
    const view = new Uint8Array(new SharedArrayBuffer(8), 2, 5); // a view of shared memory, mid-buffer
    view.set([1, 2, 3, 4, 5]);
    await b.write('ab/abcd', view);
    await b.write('cd/cdef', Uint8Array.of(9));
    expect(await b.read('ab/abcd')).toEqual(Uint8Array.of(1, 2, 3, 4, 5));
    await b.write('ab/abcd', Uint8Array.of(7, 7));
    expect(await b.read('ab/abcd')).toEqual(Uint8Array.of(7, 7));
    expect((await b.list()).sort()).toEqual(['ab/abcd', 'cd/cdef']);
    await b.delete('ab/abcd');
    expect(await b.read('ab/abcd')).toBeUndefined();
    expect(await b.list()).toEqual(['cd/cdef']);
  });

  it('returns copies: changing what read returned does not change the file', async () => {
    const b = await make();
    await b.write('aa/aa', Uint8Array.of(1, 2, 3));
    const r = (await b.read('aa/aa')) as Uint8Array;
    r[0] = 99;
    expect(await b.read('aa/aa')).toEqual(Uint8Array.of(1, 2, 3));
  });

  it('refuses paths that could escape its root', async () => {
    const b = await make();
    for (const p of ['../x', 'a/../../x', '/abs', 'a//b'])
      await expect(b.write(p, Uint8Array.of(1)), p).rejects.toThrow(/bad blob path/);
  });
});
