package rag

import "syscall"

// dropRegion tells the kernel that the process no longer needs the pages of
// b (page-aligned, part of a read-only mapping): they leave its resident
// set, and a later read faults them back in from the page cache. Only for
// read-only mappings and shared ones (the vector slab, whose written pages
// stay in the page cache and go to the file): a private page written to
// would lose its writes. Best effort.
func dropRegion(b []byte) { _ = syscall.Madvise(b, syscall.MADV_DONTNEED) }
