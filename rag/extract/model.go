package extract

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"sync"
)

// Model scores candidates: a linear function of their features, trained as
// a softmax over each question's sentences (the sentence holding the answer
// should win).
type Model struct {
	Weights [NumFeatures]float64 `json:"weights"`
	// Second is how close (in odds, 0..1) to the best sentence another one
	// must score to join a one-fact answer.
	Second float64 `json:"second"`
	// CrossDoc is how close (in odds) a sentence of another article must
	// score to the best one to join a one-fact answer.
	CrossDoc float64 `json:"cross_doc"`
	// Trained says how the weights were made.
	Trained string `json:"trained,omitempty"`
}

// Score returns the model's score of c (a log-odds).
func (m *Model) Score(c *Candidate) float64 {
	var v float64
	for i, x := range c.X {
		v += m.Weights[i] * x
	}
	return v
}

//go:embed model.json
var modelJSON []byte

// Default returns the model shipped in model.json.
var Default = sync.OnceValue(func() *Model {
	m, err := ParseModel(modelJSON)
	if err != nil {
		// model.json is checked by TestDefaultModel; this cannot happen
		// in a build that passed its tests.
		return &Model{Weights: [NumFeatures]float64{fCov: 1, fEvidence: 1}, Second: 0.5, CrossDoc: 1}
	}
	return m
})

// ParseModel reads a model written by Model.JSON.
func ParseModel(b []byte) (*Model, error) {
	var m Model
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("parse sentence model: %w", err)
	}
	for _, w := range m.Weights {
		if math.IsNaN(w) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("parse sentence model: weight %v", w)
		}
	}
	return &m, nil
}

// Train fits a model to questions whose candidates are labelled: for each
// question, the sentences holding its answer. It minimises the softmax loss
// -log Σ_pos p(s), each question weighted by weight (nil: 1 each), with L2
// regularisation l2, by gradient descent over epochs; questions without a
// positive are skipped.
func Train(questions [][]Candidate, labels [][]bool, weight []float64, epochs int, rate, l2 float64) Model {
	var m Model
	m.Weights[fCov], m.Weights[fEvidence] = 1, 1
	for range epochs {
		var grad [NumFeatures]float64
		var n float64
		for qi, cands := range questions {
			p, pos := softmax(&m, cands, labels[qi])
			if pos == 0 {
				continue
			}
			w := 1.0
			if weight != nil {
				w = weight[qi]
			}
			n += w
			for i := range cands {
				q := 0.0
				if labels[qi][i] {
					q = p[i] / pos
				}
				for f, x := range cands[i].X {
					grad[f] += w * (p[i] - q) * x
				}
			}
		}
		if n == 0 {
			break
		}
		for f := range grad {
			m.Weights[f] -= rate * (grad[f]/n + l2*m.Weights[f])
		}
	}
	return m
}

// Loss is the mean softmax loss of m over labelled questions, for reports.
func Loss(m *Model, questions [][]Candidate, labels [][]bool) float64 {
	var sum float64
	n := 0
	for qi, cands := range questions {
		_, pos := softmax(m, cands, labels[qi])
		if pos > 0 {
			sum -= math.Log(pos)
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// softmax returns each candidate's probability and the total of the
// positives'. Headings take no part.
func softmax(m *Model, cands []Candidate, label []bool) ([]float64, float64) {
	p := make([]float64, len(cands))
	mx := math.Inf(-1)
	for i := range cands {
		if !cands[i].Heading {
			p[i] = m.Score(&cands[i])
			mx = max(mx, p[i])
		}
	}
	var z, pos float64
	for i := range cands {
		if cands[i].Heading {
			p[i] = 0
			continue
		}
		p[i] = math.Exp(p[i] - mx)
		z += p[i]
	}
	for i := range p {
		p[i] /= z
		if label[i] {
			pos += p[i]
		}
	}
	return p, pos
}
