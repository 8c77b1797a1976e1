package vecindex

// Dim reports the dimension of the vectors the index holds.
func (ix *Index) Dim() int { return ix.dim }
