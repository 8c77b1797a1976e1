// Package embed turns text into vectors: the built-in offline embedder
// (Local, feature hashing of analysed terms and character n-grams) and the
// adapters to embedding providers.
//
// Every embedder names itself with an Identity, which an index records so
// that vectors from two different embedders are never compared.
package embed

import "fmt"

// Identity names the embedder that built an index; an index built by one
// refuses another.
type Identity struct {
	Name  string // provider: "local", "openai", "ollama"
	Model string // model or algorithm version, e.g. "hash-v1"
	Dim   int    // vector length
}

// String returns the identity as "name/model/dim", e.g. "local/hash-v1/512".
func (id Identity) String() string {
	return fmt.Sprintf("%s/%s/%d", id.Name, id.Model, id.Dim)
}
