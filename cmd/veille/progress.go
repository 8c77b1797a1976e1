package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/veille/veille/rag"
)

// progress reports long ingests: a bar on a terminal, a log line every few
// seconds otherwise, nothing for small jobs.
func (a *app) progress(what string, total int) rag.Progress {
	if total < 50 {
		return nil
	}
	f, isFile := a.stderr.(*os.File)
	tty := isFile && term.IsTerminal(int(f.Fd()))
	var mu sync.Mutex
	last := time.Now()
	return func(done, total int) {
		mu.Lock()
		defer mu.Unlock()
		if tty {
			drawBar(a.stderr, what, done, total)
			return
		}
		if time.Since(last) >= 5*time.Second || done == total {
			last = time.Now()
			a.log.Info("ingest progress", "done", done, "total", total)
		}
	}
}

func drawBar(w io.Writer, what string, done, total int) {
	const width = 30
	filled := width * done / max(total, 1)
	fmt.Fprintf(w, "\r%s [%s%s] %d/%d", what, strings.Repeat("=", filled), strings.Repeat(" ", width-filled), done, total)
	if done == total {
		fmt.Fprintln(w)
	}
}
