package rag

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/veille/veille/rag/article"
)

func TestUpdate(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	tests := []struct {
		name          string
		fresh         bool
		saveUnchanged bool
		add           []article.Article
		articlesErr   error
		embedErr      error
		savedErr      error
		breakSave     bool // the file's place turns into a directory: the save fails

		wantErr       error // any error when breakSave
		wantLen       int   // articles in the index in memory afterwards
		wantFile      int   // articles in the file afterwards
		wantSaved     bool  // Saved was called
		wantRewritten bool  // the file was replaced
	}{
		{name: "keeps what another writer saved", add: testArticles[1:2],
			wantLen: 2, wantFile: 2, wantSaved: true, wantRewritten: true},
		{name: "a rebuild starts empty", fresh: true, add: testArticles[1:2],
			wantLen: 1, wantFile: 1, wantSaved: true, wantRewritten: true},
		{name: "nothing to add: no save, state still saved",
			wantLen: 1, wantFile: 1, wantSaved: true},
		{name: "nothing to add, saved anyway", saveUnchanged: true,
			wantLen: 1, wantFile: 1, wantSaved: true, wantRewritten: true},
		{name: "articles fail: nothing written", articlesErr: boom, wantErr: boom,
			wantLen: 1, wantFile: 1},
		{name: "add fails: no save, no state", add: testArticles[1:2], embedErr: boom, wantErr: boom,
			wantLen: 1, wantFile: 1},
		{name: "save fails: no state", add: testArticles[1:2], breakSave: true,
			wantLen: 2},
		{name: "state fails after the save", add: testArticles[1:2], savedErr: boom, wantErr: boom,
			wantLen: 2, wantFile: 2, wantSaved: true, wantRewritten: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			path, _ := savedIndex(t, f, testArticles[:1]) // another writer's
			before, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			ix, err := New(Options{Embedder: f})
			if err != nil {
				t.Fatal(err)
			}
			f.Fail = tt.embedErr
			locked, saved := false, false
			_, err = Update{
				Lock: func(context.Context) (func() error, error) {
					locked = true
					return func() error { locked = false; return nil }, nil
				},
				Fresh:         tt.fresh,
				SaveUnchanged: tt.saveUnchanged,
				Articles: func(context.Context) ([]article.Article, error) {
					if !locked {
						t.Error("Articles called without the lock")
					}
					if tt.breakSave {
						if err := os.Remove(path); err != nil {
							t.Fatal(err)
						}
						if err := os.MkdirAll(filepath.Join(path, "x"), 0o755); err != nil {
							t.Fatal(err)
						}
					}
					return tt.add, tt.articlesErr
				},
				Saved: func() error {
					if !locked {
						t.Error("Saved called without the lock")
					}
					saved = true
					// The state follows the index: it is saved already.
					onDisk, err := Load(t.Context(), path, Options{Embedder: f})
					if err != nil {
						t.Fatal(err)
					}
					if got := onDisk.Len(); got != tt.wantFile {
						t.Errorf("when Saved is called the file holds %d articles, want %d", got, tt.wantFile)
					}
					return tt.savedErr
				},
			}.Run(t.Context(), ix, path)
			if tt.breakSave {
				if err == nil {
					t.Fatal("Run succeeded with a save that cannot succeed")
				}
			} else if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Run = %v, want %v", err, tt.wantErr)
			}
			if locked {
				t.Error("the lock was not released")
			}
			if saved != tt.wantSaved {
				t.Errorf("Saved called = %v, want %v", saved, tt.wantSaved)
			}
			if got := ix.Len(); got != tt.wantLen {
				t.Errorf("index holds %d articles, want %d", got, tt.wantLen)
			}
			if tt.breakSave {
				return
			}
			f.Fail = nil
			onDisk, err := Load(t.Context(), path, Options{Embedder: f})
			if err != nil {
				t.Fatal(err)
			}
			if got := onDisk.Len(); got != tt.wantFile {
				t.Errorf("file holds %d articles, want %d", got, tt.wantFile)
			}
			after, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := !os.SameFile(before, after); got != tt.wantRewritten {
				t.Errorf("file replaced = %v, want %v", got, tt.wantRewritten)
			}
		})
	}
}

func TestUpdateLockFails(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	path, _ := savedIndex(t, f, testArticles[:1])
	ix, err := New(Options{Embedder: f})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Update{
		Lock: func(context.Context) (func() error, error) { return nil, ErrDirInUse },
		Articles: func(context.Context) ([]article.Article, error) {
			t.Error("Articles called without the lock")
			return nil, nil
		},
	}.Run(t.Context(), ix, path)
	if !errors.Is(err, ErrDirInUse) {
		t.Fatalf("Run = %v, want %v", err, ErrDirInUse)
	}
	if ix.Len() != 0 {
		t.Error("the index was reloaded without the lock")
	}
}
