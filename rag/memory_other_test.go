//go:build !unix

package rag

// cpuSeconds is not measured here.
func cpuSeconds() float64 { return 0 }
