package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/veille/veille/rag/llm/llmtest"
)

// veille runs the command line in-process against its own data directory.
func veille(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	getenv := func(k string) string { return env[k] }
	var out, errb bytes.Buffer
	err := run(t.Context(), args, getenv, strings.NewReader(""), &out, &errb)
	code = exitCode(err, &errb)
	return out.String(), errb.String(), code
}

func TestAskOnAFreshDataDirIndexesTheBundleAndCites(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := map[string]string{"VEILLE_DATA_DIR": dir}
	out, errs, code := veille(t, env, "ask", "Qui serait le cerveau du groupe Lapsus$ ?")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"Lapsus$", "[1]", "Sources:", "datanews.levif.be", "2022-03-31"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "index.veille")); err != nil {
		t.Fatalf("index not saved: %v", err)
	}

	out, errs, code = veille(t, env, "ask", "--json", "Qui serait le cerveau du groupe Lapsus$ ?")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got askOut
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if !got.Grounded || len(got.Citations) == 0 || got.Citations[0].N != 1 || got.Citations[0].URL == "" || got.Citations[0].Published == nil {
		t.Fatalf("ask --json = %+v", got)
	}
}

func TestSearchJSONOneRowPerArticle(t *testing.T) {
	t.Parallel()
	env := map[string]string{"VEILLE_DATA_DIR": t.TempDir()}
	out, errs, code := veille(t, env, "search", "Pegasus WhatsApp", "--json", "-k", "10")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got searchOut
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	seen := map[string]bool{}
	for _, r := range got.Results {
		if seen[r.ArticleID] {
			t.Errorf("article %s listed twice", r.ArticleID)
		}
		seen[r.ArticleID] = true
	}
	if len(got.Results) == 0 || !strings.Contains(got.Results[0].Title, "NSO") {
		t.Fatalf("first result = %+v, want the NSO article", got.Results)
	}
}

func TestIngestSkipsBrokenInputAndKeepsTheRest(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(src, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("corpus.jsonl", `{"id":"a1","title":"Rançongiciel chez un hôpital","url":"https://ex.fr/a1","date":"2024-05-02","source":"Ex","text":"Un hôpital a été frappé par un rançongiciel LockBit."}`+"\n"+
		"{not json\n"+
		`{"id":"a2","title":"Sans texte"}`+"\n")
	write("binary.txt", "\x00\x01\x02binary\x00")
	write("note.md", "---\ntitle: Fuite chez un opérateur\nurl: https://ex.fr/a3?utm_source=rss\ndate: 2024-06-01\nsource: Ex\n---\nUn opérateur télécom confirme une fuite de données clients.\n")
	env := map[string]string{"VEILLE_DATA_DIR": t.TempDir()}
	out, errs, code := veille(t, env, "ingest", src)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"corpus.jsonl:2", "corpus.jsonl:3", "binary.txt"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr does not name %q:\n%s", want, errs)
		}
	}
	if !strings.Contains(out, "2 new") {
		t.Errorf("want 2 new articles:\n%s", out)
	}
	// Re-ingesting changes nothing.
	out, _, code = veille(t, env, "ingest", src)
	if code != 0 || !strings.Contains(out, "0 new, 0 updated, 2 unchanged") {
		t.Errorf("second ingest (exit %d):\n%s", code, out)
	}
	out, _, _ = veille(t, env, "search", "--json", "rançongiciel hôpital")
	if !strings.Contains(out, `"article_id": "a1"`) {
		t.Errorf("ingested article not found:\n%s", out)
	}
}

func TestExitCodes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"no command", nil, nil, 2, "no command"},
		{"unknown command", nil, []string{"frobnicate"}, 2, "unknown command"},
		{"empty question", nil, []string{"ask", "  "}, 2, "empty"},
		{"question too long", nil, []string{"ask", strings.Repeat("a", 10000)}, 2, "limit is"},
		{"bad k", nil, []string{"search", "-k", "0", "x"}, 2, "-k"},
		{"bad flag", nil, []string{"ask", "--nope", "x"}, 2, "nope"},
		{"bad config", map[string]string{"LOG_LEVEL": "loud", "DIGEST_TZ": "Mars/Olympus"}, []string{"ask", "x"}, 2, "DIGEST_TZ"},
		{"missing path", nil, []string{"ingest", filepath.Join(dir, "nope")}, 1, "nope"},
		{"eval without files", nil, []string{"eval"}, 2, "usage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"VEILLE_DATA_DIR": t.TempDir()}
			for k, v := range tt.env {
				env[k] = v
			}
			_, errs, code := veille(t, env, tt.args...)
			if code != tt.code || !strings.Contains(errs, tt.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d mentioning %q", code, errs, tt.code, tt.want)
			}
		})
	}
}

func TestConfigReportsEveryProblem(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"LOG_LEVEL": "loud", "DIGEST_TIME": "25:99", "EMBED_PROVIDER": "magic",
		"LLM_BASE_URL": "ftp://x", "FEED_REFRESH": "soon", "LLM_API_KEY": "sk-secret",
	}
	_, err := loadConfig(func(k string) string { return env[k] })
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"LOG_LEVEL", "DIGEST_TIME", "EMBED_PROVIDER", "LLM_BASE_URL", "FEED_REFRESH", "LLM_MODEL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "sk-secret") {
		t.Error("error leaks a secret")
	}
}

func TestAskWithLanguageModelAndFallback(t *testing.T) {
	t.Parallel()
	srv := llmtest.NewServer(t, llmtest.WithReplyFunc(func(msgs []llmtest.Message) string {
		return "Un mineur serait le cerveau de Lapsus$ [1]."
	}))
	env := map[string]string{"VEILLE_DATA_DIR": t.TempDir(), "LLM_BASE_URL": srv.URL(), "LLM_MODEL": "fake"}
	out, errs, code := veille(t, env, "ask", "--json", "Qui serait le cerveau du groupe Lapsus$ ?")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got askOut
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if !got.Generated || !strings.Contains(got.Answer, "[1]") || len(got.Citations) != 1 {
		t.Fatalf("ask with a model = %+v", got)
	}

	srv.Fail(100, 500, "")
	env["LLM_TIMEOUT"] = "2s"
	out, errs, code = veille(t, env, "ask", "--json", "Qui serait le cerveau du groupe Lapsus$ ?")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	got = askOut{}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if got.Generated || got.Note == "" || len(got.Citations) == 0 {
		t.Fatalf("ask with the model down = %+v, want an extractive answer with a note", got)
	}
}

// TestAskModelDeadline: a hung model costs a command line answer
// LLM_DEADLINE in all — the rewrite of an English question and the
// generation share it — not three attempts of LLM_TIMEOUT each; the answer
// is then extractive, retrieval untouched by the deadline.
func TestAskModelDeadline(t *testing.T) {
	t.Parallel()
	srv := llmtest.NewServer(t)
	srv.Slow(10, time.Minute)
	env := map[string]string{"VEILLE_DATA_DIR": t.TempDir(), "LLM_BASE_URL": srv.URL(), "LLM_MODEL": "fake",
		"LLM_TIMEOUT": "20s", "LLM_DEADLINE": "1s"}
	veille(t, map[string]string{"VEILLE_DATA_DIR": env["VEILLE_DATA_DIR"]}, "ingest") // index without the model's clock running
	start := time.Now()
	out, errs, code := veille(t, env, "ask", "--json", "Who is the mastermind of the Lapsus$ group?")
	elapsed := time.Since(start)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got askOut
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if got.Generated || got.Note == "" || len(got.Citations) == 0 {
		t.Errorf("ask with a hung model = %+v, want an extractive answer with a note", got)
	}
	if elapsed > 8*time.Second {
		t.Errorf("ask took %v with LLM_DEADLINE=1s", elapsed)
	}
	if n := len(srv.ChatRequests()); n == 0 {
		t.Error("the model was never asked")
	}
}

const testFeed = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>Cyber Actu</title><link>https://cyber.example/</link><language>fr</language>
<item><title>Une faille critique dans les pare-feu Fortinet</title>
<link>https://cyber.example/fortinet-faille?utm_source=rss</link><guid>fortinet-1</guid>
<pubDate>Mon, 23 Nov 2026 08:00:00 +0000</pubDate>
<content:encoded><![CDATA[<p>Fortinet a publié un correctif pour la vulnérabilité CVE-2026-12345 qui touche ses pare-feu FortiGate. Le CERT-FR recommande d'appliquer la mise à jour sans attendre, car la faille est déjà exploitée par des attaquants.</p><p>Les administrateurs doivent aussi vérifier les journaux à la recherche de connexions suspectes depuis le début du mois.</p>]]></content:encoded>
</item></channel></rss>`

func TestIngestFeedThenAskAndNothingNewTheSecondTime(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Header().Set("ETag", `"v1"`)
		io.WriteString(w, testFeed)
	}))
	defer srv.Close()
	env := map[string]string{"VEILLE_DATA_DIR": t.TempDir()}
	out, errs, code := veille(t, env, "ingest", "--feed", srv.URL+"/feed.xml")
	if code != 0 || !strings.Contains(out, "1 new") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out, errs)
	}
	out, errs, code = veille(t, env, "ingest", "--feed", srv.URL+"/feed.xml")
	if code != 0 || !strings.Contains(out, "0 new, 0 updated") {
		t.Fatalf("second ingest: exit %d\nstdout %s\nstderr %s", code, out, errs)
	}
	out, _, _ = veille(t, env, "ask", "--json", "Quelle vulnérabilité touche les pare-feu FortiGate ?")
	if !strings.Contains(out, "CVE-2026-12345") || !strings.Contains(out, "https://cyber.example/fortinet-faille") {
		t.Fatalf("answer does not cite the feed article:\n%s", out)
	}
	if strings.Contains(out, "utm_source") {
		t.Error("tracking parameter kept in the cited URL")
	}
}

func TestDigestGroupsTheSameStory(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	today := time.Now().UTC().Add(-2 * time.Hour).Format(time.RFC3339)
	lines := []string{
		`{"id":"f1","title":"Fortinet corrige une faille critique dans FortiGate","url":"https://a.example/f1","date":"` + today + `","source":"A","text":"Fortinet a publié un correctif pour la faille critique CVE-2026-12345 de ses pare-feu FortiGate, déjà exploitée par des attaquants selon le CERT-FR."}`,
		`{"id":"f2","title":"FortiGate : Fortinet publie un correctif pour une faille critique exploitée","url":"https://b.example/f2","date":"` + today + `","source":"B","text":"Le CERT-FR alerte : la faille CVE-2026-12345 des pare-feu FortiGate de Fortinet est exploitée ; un correctif critique est disponible."}`,
		`{"id":"o1","title":"Un hôpital breton victime d'un rançongiciel","url":"https://c.example/o1","date":"` + today + `","source":"C","text":"Un centre hospitalier de Bretagne a été paralysé par un rançongiciel ; les urgences fonctionnent en mode dégradé."}`,
	}
	if err := os.WriteFile(filepath.Join(src, "today.jsonl"), []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"VEILLE_DATA_DIR": t.TempDir()}
	if _, errs, code := veille(t, env, "ingest", src); code != 0 {
		t.Fatalf("ingest: %s", errs)
	}
	out, errs, code := veille(t, env, "digest", "--json")
	if code != 0 {
		t.Fatalf("digest: exit %d, %s", code, errs)
	}
	var d struct {
		Entries []struct {
			Title string `json:"title"`
			Also  []struct {
				URL string `json:"url"`
			} `json:"also"`
		} `json:"entries"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(d.Entries) != 2 {
		t.Fatalf("%d entries, want the Fortinet story once and the hospital:\n%s", len(d.Entries), out)
	}
	also := 0
	for _, e := range d.Entries {
		also += len(e.Also)
	}
	if also != 1 {
		t.Errorf("want one article grouped under the other:\n%s", out)
	}
}

func TestChangingTheEmbedderNamesReindex(t *testing.T) {
	t.Parallel()
	env := map[string]string{"VEILLE_DATA_DIR": t.TempDir()}
	if _, errs, code := veille(t, env, "ingest"); code != 0 {
		t.Fatalf("ingest: %s", errs)
	}
	env["EMBED_DIM"] = "1024"
	_, errs, code := veille(t, env, "ask", "Lapsus$ ?")
	if code != 1 || !strings.Contains(errs, "--reindex") {
		t.Fatalf("exit %d, stderr %q; want the mismatch named with --reindex", code, errs)
	}
	out, errs, code := veille(t, env, "ingest", "--reindex")
	if code != 0 || !strings.Contains(out, "2 new") {
		t.Fatalf("reindex: exit %d\n%s\n%s", code, out, errs)
	}
	if _, errs, code := veille(t, env, "ask", "Qui serait le cerveau du groupe Lapsus$ ?"); code != 0 {
		t.Fatalf("ask after reindex: %s", errs)
	}
}

// TestIngestFeeds: --feed takes URLs, OPML lists and feed files; every
// feed failing is an error, some failing a warning, each error said once.
func TestIngestFeeds(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rss := filepath.Join(dir, "cyber.xml")
	if err := os.WriteFile(rss, []byte(testFeed), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/rss"
	l.Close()
	missing := filepath.Join(dir, "missing.opml")
	tests := []struct {
		name  string
		feeds []string
		code  int
		want  []string
		once  []string // said exactly once
	}{
		{"every feed failed", []string{closed, missing}, 1,
			[]string{"0 of 2 feed(s) read", "every feed failed (2)"}, []string{"connection refused", "missing.opml"}},
		{"some failed", []string{closed, rss}, 0,
			[]string{"1 of 2 feed(s) read, 1 new", "warning: 1 of 2 feed(s) failed", "1 new"}, []string{"connection refused"}},
		{"a feed file", []string{rss}, 0, []string{"1 of 1 feed(s) read, 1 new", "1 new"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"VEILLE_DATA_DIR": t.TempDir()}
			args := []string{"ingest"}
			for _, f := range tt.feeds {
				args = append(args, "--feed", f)
			}
			out, errs, code := veille(t, env, args...)
			all := out + errs
			if code != tt.code {
				t.Errorf("exit %d, want %d:\n%s", code, tt.code, all)
			}
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("output lacks %q:\n%s", w, all)
				}
			}
			for _, w := range tt.once {
				if n := strings.Count(all, w); n != 1 {
					t.Errorf("%q said %d times, want once:\n%s", w, n, all)
				}
			}
		})
	}
	// A feed file's items are remembered like a URL's.
	env := map[string]string{"VEILLE_DATA_DIR": t.TempDir()}
	veille(t, env, "ingest", "--feed", rss)
	out, errs, code := veille(t, env, "ingest", "--feed", rss)
	if code != 0 || !strings.Contains(errs, "1 of 1 feed(s) read, 0 new") || !strings.HasPrefix(out, "0 new") {
		t.Errorf("second ingest of a feed file: exit %d\n%s%s", code, out, errs)
	}
}

func TestCommandHelp(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ cmd, flag string }{
		{"ask", "-json"}, {"search", "-source"}, {"ingest", "-feed"}, {"digest", "-since"}, {"eval", "-corpus"}, {"bot", ""},
	} {
		t.Run(tt.cmd, func(t *testing.T) {
			t.Parallel()
			// A broken configuration does not stand in the way of help.
			out, errs, code := veille(t, map[string]string{"VEILLE_DATA_DIR": t.TempDir(), "LOG_LEVEL": "loud"}, tt.cmd, "--help")
			if code != 0 || !strings.HasPrefix(out, "usage: veille [--data-dir DIR] "+tt.cmd) || !strings.Contains(out, tt.flag) {
				t.Errorf("%s --help: exit %d, stdout %q, stderr %q; want exit 0 with the synopsis and flags", tt.cmd, code, out, errs)
			}
		})
	}
}

func TestCommandLineMistakes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"global flag after the command", []string{"ask", "--data-dir", "x", "q"}, 2, "put it before the command"},
		{"digest since days", []string{"digest", "--since", "30d"}, 0, ""},
		{"digest since a date", []string{"digest", "--since", "2022-01-01", "--json"}, 0, ""},
		{"digest since nonsense", []string{"digest", "--since", "soon"}, 2, "--since"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, errs, code := veille(t, map[string]string{"VEILLE_DATA_DIR": t.TempDir()}, tt.args...)
			if code != tt.code || !strings.Contains(errs, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, errs, tt.code, tt.want)
			}
		})
	}
}

func TestReindexEmptyDirWritesNothing(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	_, errs, code := veille(t, map[string]string{"VEILLE_DATA_DIR": dir}, "ingest", "--reindex")
	if code != 1 || !strings.Contains(errs, filepath.Join(dir, "index.veille")) {
		t.Errorf("exit %d, stderr %q; want exit 1 naming the index path", code, errs)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("data directory created (write.lock left behind?): %v", err)
	}
}

// TestMessagesNameTheirSubject: a query is not a question, an unsupported
// file is named once with its type, and no list shows an empty name.
func TestMessagesNameTheirSubject(t *testing.T) {
	t.Parallel()
	files := t.TempDir()
	feed := filepath.Join(files, "feed.xml")
	if err := os.WriteFile(feed, []byte(testFeed), 0o644); err != nil {
		t.Fatal(err)
	}
	noSource := filepath.Join(files, "note.txt")
	if err := os.WriteFile(noSource, []byte("Note interne\n\nUn rançongiciel a chiffré les serveurs de la mairie.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		setup   [][]string // commands run first, each must succeed
		args    []string
		code    int
		want    []string
		notWant []string
	}{
		{name: "empty query", args: []string{"search", ""}, code: 2, want: []string{"the query is empty"}, notWant: []string{"question"}},
		{name: "empty question", args: []string{"ask", " "}, code: 2, want: []string{"the question is empty"}},
		{name: "long query", args: []string{"search", strings.Repeat("a", 3000)}, code: 2,
			want: []string{"the query is 3000 characters long"}, notWant: []string{"question"}},
		{name: "feed file named", args: []string{"ingest", feed}, code: 1,
			want: []string{"skipped " + feed + `: ".xml": unsupported file type`, "--feed " + feed}, notWant: []string{"<?xml"}},
		{name: "feed file in a folder", args: []string{"ingest", files}, code: 0,
			want: []string{"skipped " + feed + `: ".xml": unsupported file type`}},
		{name: "unknown source", setup: [][]string{{"ingest"}, {"ingest", noSource}},
			args: []string{"search", "--source", "nope", "mairie"}, code: 2,
			want: []string{`unknown source "nope" (indexed sources: `}, notWant: []string{": ,", ", ,", ", )"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"VEILLE_DATA_DIR": t.TempDir()}
			for _, args := range tt.setup {
				if _, errs, code := veille(t, env, args...); code != 0 {
					t.Fatalf("%v: exit %d\n%s", args, code, errs)
				}
			}
			_, errs, code := veille(t, env, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\n%s", code, tt.code, errs)
			}
			for _, w := range tt.want {
				if strings.Count(errs, w) != 1 {
					t.Errorf("stderr says %q %d times, want once:\n%s", w, strings.Count(errs, w), errs)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(errs, w) {
					t.Errorf("stderr says %q:\n%s", w, errs)
				}
			}
		})
	}
}

// A French advisory and an English report of the same flaw are one story in
// the digest: the lexicon carries the English words over.
func TestDigestGroupsTheSameStoryAcrossLanguages(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	today := time.Now().UTC().Add(-2 * time.Hour).Format(time.RFC3339)
	lines := []string{
		`{"id":"fr1","title":"Ivanti : deux failles critiques exploitées dans sa passerelle VPN","url":"https://a.example/fr1","date":"` + today + `","source":"CERT-FR","lang":"fr","text":"Deux vulnérabilités critiques de la passerelle VPN d'Ivanti sont activement exploitées : un attaquant non authentifié peut exécuter du code à distance. L'éditeur a publié des correctifs.\n\nLes failles CVE-2026-11111 et CVE-2026-11112 touchent Connect Secure."}`,
		`{"id":"en1","title":"Ivanti warns of two critical VPN gateway flaws exploited in attacks","url":"https://b.example/en1","date":"` + today + `","source":"BleepingComputer","lang":"en","text":"Two critical vulnerabilities in Ivanti's VPN gateway are actively exploited: an unauthenticated attacker can execute code remotely. The vendor released patches.\n\nThe flaws, CVE-2026-11111 and CVE-2026-11112, affect Connect Secure."}`,
		`{"id":"en2","title":"Police arrest ransomware affiliate in Spain","url":"https://c.example/en2","date":"` + today + `","source":"The Record","lang":"en","text":"Spanish police arrested a suspected affiliate of a ransomware gang who had attacked hospitals and schools across Europe."}`,
	}
	if err := os.WriteFile(filepath.Join(src, "today.jsonl"), []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"VEILLE_DATA_DIR": t.TempDir()}
	if _, errs, code := veille(t, env, "ingest", src); code != 0 {
		t.Fatalf("ingest: %s", errs)
	}
	out, errs, code := veille(t, env, "digest", "--json")
	if code != 0 {
		t.Fatalf("digest: exit %d, %s", code, errs)
	}
	var d struct {
		Entries []struct {
			Title string `json:"title"`
		} `json:"entries"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(d.Entries) != 2 {
		t.Fatalf("%d entries, want the Ivanti story once and the arrest:\n%s", len(d.Entries), out)
	}
}
