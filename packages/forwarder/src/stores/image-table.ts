/** Where a finished record of the file store lives on disk, and what retention needs to know of it. */
export type FinishedState = 'delivered' | 'dead';

const FREE = 0;
const DELIVERED = 1;
const DEAD = 2;

/**
 * A compact, off-heap table of the records the file store keeps on disk only (delivered and dead
 * ones): per slot, the offset and length of the record's full image in the log, when it finished
 * and in which state. About 30 bytes a record instead of the record and its body on the heap.
 */
export class ImageTable {
  #offset = new Float64Array(1024);
  #moved = new Float64Array(1024);
  #length = new Uint32Array(1024);
  #finishedAt = new Float64Array(1024);
  #state = new Uint8Array(1024);
  #free: number[] = [];
  #used = 0;

  /** Slots handed out and not freed. */
  get size(): number {
    return this.#used - this.#free.length;
  }

  /** Stores one image and returns its slot. */
  add(offset: number, length: number, finishedAt: number, state: FinishedState): number {
    let slot = this.#free.pop();
    if (slot === undefined) {
      if (this.#used === this.#state.length) this.#grow();
      slot = this.#used++;
    }
    this.#offset[slot] = offset;
    this.#moved[slot] = -1;
    this.#length[slot] = length;
    this.#finishedAt[slot] = finishedAt;
    this.#state[slot] = state === 'dead' ? DEAD : DELIVERED;
    return slot;
  }

  /** Gives a slot back (its record was replaced or dropped). */
  free(slot: number): void {
    if (this.#state[slot] === FREE) return;
    this.#state[slot] = FREE;
    this.#free.push(slot);
  }

  /** File offset of the image's payload. */
  offset(slot: number): number {
    return this.#offset[slot]!;
  }

  /** Bytes of the image's payload. */
  length(slot: number): number {
    return this.#length[slot]!;
  }

  /** When the record was delivered or dead-lettered, epoch ms. */
  finishedAt(slot: number): number {
    return this.#finishedAt[slot]!;
  }

  /** Whether the record was delivered or dead-lettered. */
  state(slot: number): FinishedState {
    return this.#state[slot] === DEAD ? 'dead' : 'delivered';
  }

  /** Notes where a slot's image was copied by a compaction in progress. */
  moveTo(slot: number, offset: number): void {
    this.#moved[slot] = offset;
  }

  /** Forgets every pending move (a compaction starts or failed). */
  clearMoves(): void {
    this.#moved.fill(-1, 0, this.#used);
  }

  /** True when every slot before `tailStart` was moved by the snapshot ({@link moveTo}). */
  canRelocate(tailStart: number): boolean {
    for (let slot = 0; slot < this.#used; slot++) {
      if (this.#state[slot] !== FREE && this.#offset[slot]! < tailStart && this.#moved[slot]! < 0) return false;
    }
    return true;
  }

  /**
   * Moves every slot to its offset in a compacted log: images at or after `tailStart` of the old
   * log were copied with its tail, to `offset - tailStart + snapshotBytes`; the others were moved
   * by the snapshot. Check {@link canRelocate} first.
   */
  relocate(tailStart: number, snapshotBytes: number): void {
    for (let slot = 0; slot < this.#used; slot++) {
      if (this.#state[slot] === FREE) continue;
      const offset = this.#offset[slot]!;
      this.#offset[slot] = offset >= tailStart ? offset - tailStart + snapshotBytes : this.#moved[slot]!;
      this.#moved[slot] = -1;
    }
  }

  #grow(): void {
    const n = this.#state.length * 2;
    const grow = <T extends Float64Array | Uint32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.#offset = grow(this.#offset, (k) => new Float64Array(k));
    this.#moved = grow(this.#moved, (k) => new Float64Array(k));
    this.#length = grow(this.#length, (k) => new Uint32Array(k));
    this.#finishedAt = grow(this.#finishedAt, (k) => new Float64Array(k));
    this.#state = grow(this.#state, (k) => new Uint8Array(k));
  }
}
