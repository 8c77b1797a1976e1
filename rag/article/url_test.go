package article

import (
	"errors"
	"testing"
)

func TestCanonicalURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{name: "already canonical", in: "https://example.com/a/b", want: "https://example.com/a/b"},
		{name: "lower-case scheme and host", in: "HTTPS://Example.COM/Path/Case", want: "https://example.com/Path/Case"},
		{name: "fragment dropped", in: "https://example.com/a#comments", want: "https://example.com/a"},
		{name: "utm dropped", in: "https://example.com/a?utm_source=rss&utm_medium=feed&UTM_Campaign=x", want: "https://example.com/a"},
		{name: "trackers dropped", in: "https://example.com/a?xtor=RSS-3&fbclid=1&gclid=2&mc_cid=3&mc_eid=4&at_medium=5&at_campaign=6&id=7", want: "https://example.com/a?id=7"},
		{name: "params sorted, encoding kept", in: "https://example.com/s?q=a%20b&b=2&a=1&b=1", want: "https://example.com/s?a=1&b=2&b=1&q=a%20b"},
		{name: "empty pairs dropped", in: "https://example.com/s?&a=1&&", want: "https://example.com/s?a=1"},
		{name: "only trackers leaves no question mark", in: "https://example.com/?utm_source=x", want: "https://example.com/"},
		{name: "default https port", in: "https://example.com:443/a", want: "https://example.com/a"},
		{name: "default http port", in: "http://example.com:80/a", want: "http://example.com/a"},
		{name: "other port kept", in: "http://example.com:8080/a", want: "http://example.com:8080/a"},
		{name: "empty path is slash", in: "https://example.com", want: "https://example.com/"},
		{name: "trailing slash dropped", in: "https://example.com/actu/article/", want: "https://example.com/actu/article"},
		{name: "root slash kept", in: "https://example.com/", want: "https://example.com/"},
		{name: "user info dropped", in: "https://user:pass@example.com/a", want: "https://example.com/a"},
		{name: "trailing dot in host", in: "https://example.com./a", want: "https://example.com/a"},
		{name: "spaces trimmed", in: "  https://example.com/a \n", want: "https://example.com/a"},
		{name: "non-ascii path escaped", in: "https://fr.wikipedia.org/wiki/Équitation", want: "https://fr.wikipedia.org/wiki/%C3%89quitation"},
		{name: "escaped and raw agree", in: "https://fr.wikipedia.org/wiki/%C3%89quitation", want: "https://fr.wikipedia.org/wiki/%C3%89quitation"},
		{name: "ipv6", in: "http://[::1]:8080/a", want: "http://[::1]:8080/a"},
		{name: "real seed url", in: "https://datanews.levif.be/ict/actualite/apple-et-meta-auraient-transmis-des-donnees-clients-a-des-pirates-informatiques/article-news-1543549.html",
			want: "https://datanews.levif.be/ict/actualite/apple-et-meta-auraient-transmis-des-donnees-clients-a-des-pirates-informatiques/article-news-1543549.html"},
		{name: "no scheme", in: "example.com/a", wantErr: true},
		{name: "relative", in: "/a/b", wantErr: true},
		{name: "ftp", in: "ftp://example.com/a", wantErr: true},
		{name: "mailto", in: "mailto:a@example.com", wantErr: true},
		{name: "empty", in: "", wantErr: true},
		{name: "unparsable", in: "http://%zz", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := CanonicalURL(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrBadURL) {
					t.Fatalf("CanonicalURL(%q) = %q, %v; want ErrBadURL", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("CanonicalURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			if again, err := CanonicalURL(got); err != nil || again != got {
				t.Errorf("CanonicalURL not stable: %q → %q, %v", got, again, err)
			}
		})
	}
}
