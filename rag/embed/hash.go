package embed

// The hash is FNV-1a 64 finished with MurmurHash3's fmix64: fixed constants,
// so a vector is the same in every process and on every machine (unlike
// hash/maphash, whose seeds are random), and well mixed in both the low bits
// (the coordinate) and the top bit (the sign).
const (
	fnvOffset uint64 = 0xcbf29ce484222325
	fnvPrime  uint64 = 0x100000001b3
)

func hashString(seed uint64, s string) uint64 {
	h := seed ^ fnvOffset
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return fmix(h)
}

func hashBytes(seed uint64, b []byte) uint64 {
	h := seed ^ fnvOffset
	for _, c := range b {
		h ^= uint64(c)
		h *= fnvPrime
	}
	return fmix(h)
}

// mix combines two hashes, order mattering.
func mix(a, b uint64) uint64 {
	return fmix(a*0x9e3779b97f4a7c15 + b)
}

// fmix is MurmurHash3's 64-bit finaliser.
func fmix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}
