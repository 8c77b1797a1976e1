package digest

import (
	"errors"
	"path/filepath"
	"testing"

	"time"

	"github.com/google/go-cmp/cmp"
)

func TestStoreChannels(t *testing.T) {
	t.Parallel()
	paris, ny := mustLoc(t, "Europe/Paris"), mustLoc(t, "America/New_York")
	path := filepath.Join(t.TempDir(), "digest.json")
	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	def := Settings{ChannelID: "1", At: "08:00", Loc: paris}
	custom := Settings{ChannelID: "2", At: "07:30", Loc: ny, Lang: "en", PostEmpty: true, Keywords: []string{"ransomware"}, Sources: []string{"CERT-FR"}}
	override := Settings{ChannelID: "1", At: "09:15", Loc: paris, Lang: "fr"}
	if err := s.Configure(custom); err != nil {
		t.Fatal(err)
	}
	if err := s.Configure(Settings{ChannelID: "3", At: "nope"}); !errors.Is(err, ErrInvalidSettings) {
		t.Fatalf("Configure(invalid) = %v, want ErrInvalidSettings", err)
	}
	zones := cmp.Comparer(func(a, b *time.Location) bool { return a.String() == b.String() })

	tests := []struct {
		name  string
		setup func(*Store) error
		want  []Settings
	}{
		{"defaults plus stored", func(*Store) error { return nil }, []Settings{def, custom}},
		{"stored overrides default", func(s *Store) error { return s.Configure(override) }, []Settings{override, custom}},
		{"unconfigured falls back", func(s *Store) error { return s.Unconfigure("1") }, []Settings{def, custom}},
	}
	for _, tt := range tests { // sequential: each step builds on the last
		if err := tt.setup(s); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		reopened, err := OpenStore(path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := reopened.Channels(def)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, got, zones); diff != "" {
			t.Errorf("%s: Channels (-want +got):\n%s", tt.name, diff)
		}
	}
}
