/**
 * The protobuf wire format, nothing about types: a reader over one message's bytes (varints,
 * fixed 32/64-bit little-endian words, length-delimited runs, skipping a field of any wire type)
 * and a writer that grows one buffer and back-fills the length of a nested message.
 *
 * 64-bit varints are read as two 32-bit halves and returned as Number (exact below 2^53, which
 * sizes and offsets never reach); strings are UTF-8, bytes come back as views of the message.
 */

/** Wire types: the low 3 bits of a field's tag. */
export const WIRE = { VARINT: 0, FIXED64: 1, LEN: 2, START_GROUP: 3, END_GROUP: 4, FIXED32: 5 } as const;

const TWO_32 = 4294967296;

function outOfRange(what: string): RangeError {
  return new RangeError(`index out of range: ${what} runs past the end of the message`);
}

/** Reads one message (or a nested one: `end` bounds it) from `buf`, advancing `pos`. */
export class WireReader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  /** A varint as an unsigned 32-bit number (higher bits of a longer varint are dropped). */
  uint32(): number {
    const buf = this.buf;
    let pos = this.pos;
    let b = buf[pos++]!;
    let value = b & 0x7f;
    if (b >= 0x80) {
      b = buf[pos++]!;
      value |= (b & 0x7f) << 7;
      if (b >= 0x80) {
        b = buf[pos++]!;
        value |= (b & 0x7f) << 14;
        if (b >= 0x80) {
          b = buf[pos++]!;
          value |= (b & 0x7f) << 21;
          if (b >= 0x80) {
            b = buf[pos++]!;
            value |= b << 28;
            // Bytes 6-10 carry bits above 32: skip them.
            while (b >= 0x80) b = buf[pos++]!;
          }
        }
      }
    }
    if (pos > buf.length || b === undefined) throw outOfRange("a varint");
    this.pos = pos;
    return value >>> 0;
  }

  /** A varint as int32 (negative int32s are sent sign-extended to 10 bytes). */
  int32(): number {
    return this.uint32() | 0;
  }

  /** A varint's two 32-bit halves, low first. */
  private varint64(): [number, number] {
    const buf = this.buf;
    let pos = this.pos;
    let lo = 0;
    let hi = 0;
    let b = 0;
    let shift = 0;
    for (; shift < 28; shift += 7) {
      b = buf[pos++]!;
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) break;
    }
    if (b >= 0x80) {
      b = buf[pos++]!;
      lo |= (b & 0x7f) << 28;
      hi = (b & 0x7f) >> 4;
      for (shift = 3; b >= 0x80 && shift < 32; shift += 7) {
        b = buf[pos++]!;
        hi |= (b & 0x7f) << shift;
      }
    }
    if (pos > buf.length || b === undefined) throw outOfRange("a varint");
    this.pos = pos;
    return [lo >>> 0, hi >>> 0];
  }

  /** int64 as Number: two's complement when the top bit is set. */
  int64(): number {
    const [lo, hi] = this.varint64();
    return toNumber(lo, hi, false);
  }

  uint64(): number {
    const [lo, hi] = this.varint64();
    return toNumber(lo, hi, true);
  }

  sint32(): number {
    const n = this.uint32();
    return (n >>> 1) ^ -(n & 1);
  }

  sint64(): number {
    const [lo, hi] = this.varint64();
    // Zigzag: value = (n >>> 1) ^ -(n & 1), on the two halves.
    const mask = -(lo & 1);
    const l = (((lo >>> 1) | (hi << 31)) ^ mask) >>> 0;
    const h = ((hi >>> 1) ^ mask) >>> 0;
    return toNumber(l, h, false);
  }

  bool(): boolean {
    return this.uint32() !== 0;
  }

  private need(n: number): number {
    const at = this.pos;
    if (at + n > this.buf.length) throw outOfRange("a fixed-width value");
    this.pos = at + n;
    return at;
  }

  fixed32(): number {
    return this.buf.readUInt32LE(this.need(4));
  }

  sfixed32(): number {
    return this.buf.readInt32LE(this.need(4));
  }

  fixed64(): number {
    const at = this.need(8);
    return toNumber(this.buf.readUInt32LE(at), this.buf.readUInt32LE(at + 4), true);
  }

  sfixed64(): number {
    const at = this.need(8);
    return toNumber(this.buf.readUInt32LE(at), this.buf.readUInt32LE(at + 4), false);
  }

  float(): number {
    return this.buf.readFloatLE(this.need(4));
  }

  double(): number {
    return this.buf.readDoubleLE(this.need(8));
  }

  /** A length prefix; returns where the run ends. */
  end(): number {
    const len = this.uint32();
    const end = this.pos + len;
    if (end > this.buf.length) throw outOfRange("a length-delimited field");
    return end;
  }

  /** Bytes as a Buffer sharing the message's memory (an empty run is a fresh empty Buffer). */
  bytes(): Buffer {
    const end = this.end();
    const start = this.pos;
    this.pos = end;
    return start === end ? Buffer.alloc(0) : this.buf.subarray(start, end);
  }

  string(): string {
    const end = this.end();
    const start = this.pos;
    this.pos = end;
    // Buffer's own UTF-8 slice, without toString's argument checks (most strings here are short).
    return (this.buf as Buffer & { utf8Slice(start: number, end: number): string }).utf8Slice(start, end);
  }

  /** Skips the value of a field with wire type `wire` (a group up to its end tag). */
  skip(wire: number, depth = 0): void {
    switch (wire) {
      case WIRE.VARINT:
        this.varint64();
        return;
      case WIRE.FIXED64:
        this.need(8);
        return;
      case WIRE.LEN:
        this.pos = this.end();
        return;
      case WIRE.START_GROUP: {
        if (depth > 100) throw new Error("groups nested too deeply");
        for (;;) {
          if (this.pos >= this.buf.length) throw outOfRange("a group");
          const tag = this.uint32();
          if ((tag & 7) === WIRE.END_GROUP) return;
          this.skip(tag & 7, depth + 1);
        }
      }
      case WIRE.FIXED32:
        this.need(4);
        return;
      default:
        throw new Error(`invalid wire type ${wire} at offset ${this.pos}`);
    }
  }
}

/** A 64-bit integer from its halves as Number (exact up to 2^53). */
function toNumber(lo: number, hi: number, unsigned: boolean): number {
  if (!unsigned && hi >>> 31 !== 0) {
    // Negative: the magnitude is the two's complement of the halves.
    const l = (~lo + 1) >>> 0;
    let h = ~hi >>> 0;
    if (l === 0) h = (h + 1) >>> 0;
    return -(l + h * TWO_32);
  }
  return lo + hi * TWO_32;
}

/** Builds one message in a buffer that doubles as needed. */
export class WireWriter {
  private buf: Buffer;
  pos = 0;

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** A tag: field number and wire type. */
  tag(field: number, wire: number): void {
    this.uint32(((field << 3) | wire) >>> 0);
  }

  uint32(value: number): void {
    this.room(5);
    const buf = this.buf;
    let v = value >>> 0;
    while (v > 0x7f) {
      buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[this.pos++] = v;
  }

  /** int32: a negative value is sign-extended to 64 bits (10 bytes), as the format asks. */
  int32(value: number): void {
    if (value < 0) this.varint64(value | 0, 0xffffffff);
    else this.uint32(value);
  }

  /** int64/uint64 from a Number: its two's complement halves as a varint. */
  int64(value: number): void {
    const [lo, hi] = halves(value);
    this.varint64(lo, hi);
  }

  sint32(value: number): void {
    this.uint32(((value << 1) ^ (value >> 31)) >>> 0);
  }

  sint64(value: number): void {
    const [lo, hi] = halves(value);
    const mask = hi >> 31;
    this.varint64(((lo << 1) ^ mask) >>> 0, (((hi << 1) | (lo >>> 31)) ^ mask) >>> 0);
  }

  private varint64(lo: number, hi: number): void {
    this.room(10);
    const buf = this.buf;
    let l = lo >>> 0;
    let h = hi >>> 0;
    while (h !== 0 || l > 0x7f) {
      buf[this.pos++] = (l & 0x7f) | 0x80;
      l = ((l >>> 7) | (h << 25)) >>> 0;
      h >>>= 7;
    }
    buf[this.pos++] = l;
  }

  bool(value: boolean): void {
    this.uint32(value ? 1 : 0);
  }

  fixed32(value: number): void {
    this.room(4);
    this.buf.writeUInt32LE(value >>> 0, this.pos);
    this.pos += 4;
  }

  sfixed32(value: number): void {
    this.room(4);
    this.buf.writeInt32LE(value | 0, this.pos);
    this.pos += 4;
  }

  fixed64(value: number): void {
    const [lo, hi] = halves(value);
    this.room(8);
    this.buf.writeUInt32LE(lo, this.pos);
    this.buf.writeUInt32LE(hi, this.pos + 4);
    this.pos += 8;
  }

  float(value: number): void {
    this.room(4);
    this.buf.writeFloatLE(value, this.pos);
    this.pos += 4;
  }

  double(value: number): void {
    this.room(8);
    this.buf.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }

  bytes(value: Uint8Array | readonly number[]): void {
    const len = value.length;
    this.uint32(len);
    this.room(len);
    this.buf.set(value, this.pos);
    this.pos += len;
  }

  string(value: string): void {
    const len = Buffer.byteLength(value, "utf8");
    this.uint32(len);
    this.room(len);
    if (len > 0) this.buf.write(value, this.pos, len, "utf8");
    this.pos += len;
  }

  /** Starts a length-delimited run (a nested message); returns the mark `endFork` needs. */
  fork(): number {
    // One byte is kept for the length, enough below 128 bytes; `endFork` moves longer runs.
    this.room(1);
    return this.pos++;
  }

  /** Writes the length of the run started at `mark`, moving its bytes when the length needs more than one byte. */
  endFork(mark: number): void {
    const len = this.pos - mark - 1;
    if (len < 0x80) {
      this.buf[mark] = len;
      return;
    }
    let size = 1;
    for (let v = len >>> 7; v > 0; v >>>= 7) size++;
    this.room(size - 1);
    this.buf.copyWithin(mark + size, mark + 1, this.pos);
    this.pos += size - 1;
    let v = len;
    let at = mark;
    while (v > 0x7f) {
      this.buf[at++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[at] = v;
  }

  /** The message: a Buffer over the bytes written (valid until the writer is used again). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/** A Number's 64-bit two's complement as [low, high] 32-bit halves. */
function halves(value: number): [number, number] {
  if (value === 0 || !Number.isFinite(value)) return [0, 0];
  const negative = value < 0;
  const abs = Math.trunc(Math.abs(value));
  let lo = abs >>> 0;
  let hi = Math.floor((abs - lo) / TWO_32) >>> 0;
  if (negative) {
    hi = ~hi >>> 0;
    lo = ~lo >>> 0;
    if (++lo > 0xffffffff) {
      lo = 0;
      if (++hi > 0xffffffff) hi = 0;
    }
  }
  return [lo, hi];
}
