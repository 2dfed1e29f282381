import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { cidOf, parseCid, pieceCidOf } from "../evidence/cid.js";
import { SnapshotCorruptError, SnapshotNotFoundError } from "./errors.js";
import type { SnapshotStore, StoredSnapshot } from "./snapshot-store.js";

export interface LocalCasStoreParameters {
  /** Directory of the store; created on first put. Default `.data/relayer/snapshots`. */
  dir?: string;
}

export const DEFAULT_SNAPSHOT_DIR = ".data/relayer/snapshots";

/**
 * Snapshots as files named by their CID in one directory. A file appears only complete (written to a temporary
 * name, fsynced, renamed, directory fsynced), so a crash mid-put leaves either nothing or the whole snapshot;
 * reads re-hash the file, so a corrupted disk is reported instead of served.
 */
export class LocalCasStore implements SnapshotStore {
  readonly dir: string;

  constructor({ dir = DEFAULT_SNAPSHOT_DIR }: LocalCasStoreParameters = {}) {
    this.dir = dir;
  }

  async put(bytes: Uint8Array): Promise<StoredSnapshot> {
    const cid = await cidOf(bytes);
    const stored = { cid, pieceCid: pieceCidOf(bytes), size: bytes.length };
    // Idempotent: a file that already holds these bytes is left alone; a corrupt one is replaced.
    if (await this.holdsIntact(cid)) return stored;
    await mkdir(this.dir, { recursive: true });
    const temporary = join(this.dir, `.${cid}.${randomBytes(6).toString("hex")}.tmp`);
    try {
      const file = await open(temporary, "wx");
      try {
        await file.writeFile(bytes);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temporary, this.pathOf(cid));
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    await this.syncDir();
    return stored;
  }

  async get(cid: string): Promise<Uint8Array> {
    const canonical = parseCid(cid);
    const bytes = await this.read(canonical);
    if (bytes === undefined) throw new SnapshotNotFoundError(canonical);
    const actual = await cidOf(bytes);
    if (actual !== canonical) throw new SnapshotCorruptError(canonical, actual);
    return bytes;
  }

  async has(cid: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(parseCid(cid)))).isFile();
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /** The file of `cid` (already canonical: parseCid's base32 alphabet cannot name a path outside `dir`). */
  private pathOf(cid: string): string {
    return join(this.dir, cid);
  }

  private async read(cid: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.pathOf(cid)));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  private async holdsIntact(cid: string): Promise<boolean> {
    const bytes = await this.read(cid);
    return bytes !== undefined && (await cidOf(bytes)) === cid;
  }

  /** The rename is durable only once the directory entry is on disk. */
  private async syncDir(): Promise<void> {
    const dir = await open(this.dir, "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && "code" in error && error.code === "ENOENT";
}
