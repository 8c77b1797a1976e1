package bot

import (
	"sync"

	"github.com/veille/veille/rag"
)

// memorySize bounds how many answers (and message IDs) the bot remembers
// for follow-ups and feedback; older ones are forgotten first.
const memorySize = 2000

// answerRecord is what the bot remembers of one answer it gave.
type answerRecord struct {
	ID       string // short, carried in the feedback buttons' custom IDs
	Question string
	Answer   string
	Sources  []rag.Citation
}

// maxContextAnswer bounds the earlier answer handed back as context: it
// only needs to say what "it" and "they" refer to.
const maxContextAnswer = 1500

// context is the earlier exchange handed to the pipeline for a follow-up.
func (r *answerRecord) context() string {
	return "Question: " + r.Question + "\nAnswer: " + truncate(r.Answer, maxContextAnswer)
}

// memory maps answer IDs and Discord message (or thread) IDs to answers,
// forgetting the oldest beyond memorySize entries of each kind.
type memory struct {
	mu       sync.Mutex
	answers  bounded
	messages bounded
}

type bounded struct {
	m     map[string]*answerRecord
	order []string
}

func (b *bounded) put(key string, r *answerRecord) {
	if b.m == nil {
		b.m = map[string]*answerRecord{}
	}
	if _, ok := b.m[key]; !ok {
		b.order = append(b.order, key)
	}
	b.m[key] = r
	for len(b.order) > memorySize {
		delete(b.m, b.order[0])
		b.order = b.order[1:]
	}
}

// remember stores r under its ID.
func (m *memory) remember(r *answerRecord) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.answers.put(r.ID, r)
}

// link records that a message (or the thread started from it) shows r.
func (m *memory) link(messageID string, r *answerRecord) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.messages.put(messageID, r)
}

// answer returns the answer with this ID, or nil.
func (m *memory) answer(id string) *answerRecord {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.answers.m[id]
}

// message returns the answer shown by a message or thread, or nil.
func (m *memory) message(id string) *answerRecord {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.messages.m[id]
}
