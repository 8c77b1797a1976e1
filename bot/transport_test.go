package bot

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestRedirect(t *testing.T) {
	var got []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Method+" "+r.Host+" "+r.URL.RequestURI())
		io.WriteString(w, "{}")
	}))
	defer proxy.Close()
	base, _ := url.Parse(proxy.URL + "/discord/")
	c := redirect(&http.Client{}, base)
	for _, u := range []string{
		"https://discord.com/api/v9/webhooks/1/tok/messages/@original?x=1",
		"https://discord.com/api/v9/gateway",
	} {
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	host := strings.TrimPrefix(proxy.URL, "http://")
	want := []string{
		"GET " + host + " /discord/api/v9/webhooks/1/tok/messages/@original?x=1",
		"GET " + host + " /discord/api/v9/gateway",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("proxy saw\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if c := redirect(nil, nil); c == nil || c.Transport != nil {
		t.Errorf("redirect(nil, nil) = %+v, want a default client", c)
	}
}

func TestRedirectLeavesOtherHosts(t *testing.T) {
	var seen string
	next := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		seen = r.URL.String()
		return &http.Response{StatusCode: 204, Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
	})
	base, _ := url.Parse("http://127.0.0.1:1")
	c := redirect(&http.Client{Transport: next}, base)
	resp, err := c.Get("https://cdn.discordapp.com/avatars/1.png")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if seen != "https://cdn.discordapp.com/avatars/1.png" {
		t.Errorf("request went to %s", seen)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
