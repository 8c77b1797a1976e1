package feedlist

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGroups(t *testing.T) {
	t.Parallel()
	const a, b, c = "https://a.example/rss", "https://b.example/rss", "https://c.example/rss"
	tests := []struct {
		name     string
		list     []Entry
		operator []string
		want     []Group
	}{
		{"none", nil, nil, nil},
		{"one server", []Entry{{URL: a, Guild: "1"}}, nil, []Group{{Guilds: []string{"1"}, URLs: []string{a}}}},
		{"two servers follow one feed", []Entry{{URL: a, Guild: "2"}, {URL: a, Guild: "1"}, {URL: b, Guild: "1"}},
			nil, []Group{{Guilds: []string{"1", "2"}, URLs: []string{a}}, {Guilds: []string{"1"}, URLs: []string{b}}}},
		{"a feed without a server is the operator's", []Entry{{URL: a, Guild: "1"}, {URL: a}, {URL: c, Guild: "1"}},
			nil, []Group{{URLs: []string{a}}, {Guilds: []string{"1"}, URLs: []string{c}}}},
		{"FEEDS left out", []Entry{{URL: a, Guild: "1"}, {URL: b, Guild: "1"}}, []string{a},
			[]Group{{Guilds: []string{"1"}, URLs: []string{b}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, Groups(tt.list, tt.operator)); diff != "" {
				t.Errorf("Groups (-want +got):\n%s", diff)
			}
		})
	}
}
