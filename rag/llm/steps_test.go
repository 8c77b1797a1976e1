package llm_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/veille/veille/rag/llm"
	"github.com/veille/veille/rag/llm/llmtest"
)

// TestAnswerSteps walks the three steps of a generated answer, as package
// rag uses them, against the fake server: prompt, chat, citation check.
func TestAnswerSteps(t *testing.T) {
	t.Parallel()
	srv := llmtest.NewServer(t, llmtest.WithReplies(
		"Orange a subi une cyberattaque en février [2]. Les cheminots font grève [1]. Hors sujet [7]."))
	client, err := llm.New(llm.Config{BaseURL: srv.URL(), Model: "llama3.2"})
	if err != nil {
		t.Fatal(err)
	}
	passages := []llm.Passage{
		{N: 1, Title: "Apple lance un iPhone pliable", Text: "Apple a présenté un nouvel iPhone pliable."},
		{N: 2, Title: "Orange victime d'une cyberattaque", Text: "Orange a subi une cyberattaque en février 2024."},
	}
	answer, err := client.Chat(t.Context(), llm.Prompt("Qui a été piraté ?", passages))
	if err != nil {
		t.Fatal(err)
	}
	got := llm.CheckCitations(answer, passages)
	want := llm.Checked{Text: "Orange a subi une cyberattaque en février [1].", Cited: []int{2}, Dropped: 2}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CheckCitations (-want +got):\n%s", diff)
	}
}
