/**
 * The block freed: glibc raises its mmap threshold to the size of an mmap'd block it frees
 * (up to 32 MB), and its trim threshold to twice that. 8 MB, not the 32 MB it allows: at
 * 50,000 audiences, a 64 MB trim threshold kept 20–65 MB more at a cold plan's peak, where
 * 16 MB kept none more, for the same faults saved at 10,000 (docs/performance.md).
 */
const FREED_BLOCK = 8 << 20;

/**
 * Makes glibc's malloc keep the memory a command frees for its next allocations, rather
 * than give it back to the kernel and take it anew, page fault by page fault. By default
 * a block over 128 KB is its own mmap (faulted in as it is touched, unmapped when freed),
 * and a thread's arena is trimmed as soon as 128 KB lie free at its top: V8's compiler
 * threads (each compile's zone memory is malloc'd and freed), and the buffers of file
 * contents and cache batches, took fresh pages again and again. A cold 10,000-audience
 * plan took about 41,000 page faults, about 14,000 of them on V8's threads (the
 * forty-ninth pass, docs/performance.md). glibc raises both thresholds by itself once
 * it frees an mmap'd block (the mmap threshold to that block's size, the trim threshold
 * to twice that), which a long command, and the controller, reach anyway once they free a
 * large buffer: this brings it to the start. A buffer of FREED_BLOCK is allocated (mmap'd,
 * never touched, so it costs no memory) and dropped; V8 frees it at the first garbage
 * collection, early in the start-up. Elsewhere (musl, macOS) it is an untouched
 * allocation freed, and changes nothing.
 */
export function reuseFreedMemory(): void {
  Buffer.allocUnsafeSlow(FREED_BLOCK - (64 << 10));
}
