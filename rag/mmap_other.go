//go:build !unix

package rag

import (
	"errors"
	"os"
)

// mapRegion is not available here: Load reads the vectors onto the heap
// instead (the same path the tests take with Options.noMap).
func mapRegion(*os.File, int64, int64) ([]byte, error) {
	return nil, errors.ErrUnsupported
}

func unmapRegion([]byte) error { return nil }

// mapShared is not available here: Add keeps vectors on the heap.
func mapShared(*os.File, int64, int64) ([]byte, error) {
	return nil, errors.ErrUnsupported
}
