/** One entry of a {@link DueQueue}: `id` may be due at `at`. */
interface Entry {
  readonly at: number;
  readonly seq: number;
  readonly id: string;
}

/**
 * A min-heap of record ids by the time they may be handed out, ties in the order they were
 * queued. Entries are never updated in place: a record that changes gets a new entry, and the
 * reader drops an entry that no longer matches its record (see the file store's `lease`), so a
 * lease costs O(k log n) for k records handed out, not a scan of every pending record.
 */
export class DueQueue {
  #heap: Entry[] = [];
  #seq = 0;

  /** Entries queued, stale ones included. */
  get size(): number {
    return this.#heap.length;
  }

  /** Queues `id` as due at `at` (epoch ms). */
  push(id: string, at: number): void {
    const heap = this.#heap;
    const entry: Entry = { at, seq: this.#seq++, id };
    let i = heap.length;
    heap.push(entry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  /** The earliest entry, if it is due at or before `now`. */
  peek(now: number): { readonly id: string; readonly at: number } | undefined {
    const top = this.#heap[0];
    return top !== undefined && top.at <= now ? top : undefined;
  }

  /** Removes the earliest entry. */
  pop(): void {
    const heap = this.#heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && before(heap[right]!, heap[left]!) ? right : left;
      if (!before(heap[child]!, last)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
