package answer

import (
	"errors"
	"github.com/veille/veille/rag/ragtest"
	"strings"
	"testing"
)

func TestSummarize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		reply   string
		want    string
		wantErr bool
	}{
		{"cited", "Un mineur serait le cerveau de Lapsus$ [1]. La police a arrêté sept personnes [1].", "Un mineur serait le cerveau de Lapsus$. La police a arrêté sept personnes.", false},
		{"uncited", "Un résumé sans source.", "", true},
		{"unknown passage", "Lapsus$ a tout piraté [4].", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, srv := newTestEngine(t)
			srv.Reply(tt.reply)
			got, err := e.Summarize(t.Context(), ragtest.Articles[0].Title, ragtest.Articles[0].Text, "fr")
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("Summarize = %q, %v; want %q (err %v)", got, err, tt.want, tt.wantErr)
			}
			reqs := srv.ChatRequests()
			if len(reqs) != 1 || !strings.Contains(reqs[0].Messages[0].Content, "Summarise") {
				t.Errorf("requests = %+v", reqs)
			}
		})
	}
	ix, _ := newTestIndex(t)
	if _, err := NewEngine(ix, nil, nil).Summarize(t.Context(), "t", "x", "fr"); !errors.Is(err, ErrNoModel) {
		t.Errorf("without a model: %v", err)
	}
}
