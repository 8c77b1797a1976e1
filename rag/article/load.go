package article

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// ErrBinary reports a file that is not UTF-8 text (NUL bytes or invalid UTF-8).
var ErrBinary = errors.New("binary file or not UTF-8 text")

// ErrUnsupported reports a file whose extension names no format Veille
// reads (a feed.xml, an image): skipped, never read as plain text.
var ErrUnsupported = errors.New("unsupported file type (indexed: .md, .markdown, .txt, .html, .htm, .jsonl)")

// LoadPaths loads the articles of files and folders on disk. Folders are
// walked recursively in lexical order, taking .md/.markdown, .txt,
// .html/.htm and .jsonl files and skipping hidden files and folders
// silently. One rule holds for a file of another type, whether named or
// found in a folder: it is skipped as a Problem wrapping ErrUnsupported.
// Every file that cannot be loaded, including a path that does not exist,
// becomes a Problem and loading goes on.
// The error is only for a cancelled ctx; what was loaded before is returned
// with it. Articles are normalised (see Normalize) but not deduplicated (see
// Dedupe).
//
// A file without an id or url gets its ID from its path relative to the
// folder given (a/notes.txt → "a/notes"; a file given by name, from its
// name), so that two files of the same name in different folders stay two
// articles; when two paths still fold to one ID (notes.md and notes.txt),
// the later one's ID gets a hash of its path. An article whose explicit id
// an earlier one of the same call has is skipped with ErrDuplicateID.
func LoadPaths(ctx context.Context, paths []string) ([]Article, []Problem, error) {
	l := newLoader()
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return l.arts, l.problems, fmt.Errorf("load %s: %w", p, err)
		}
		info, err := os.Stat(p)
		if err != nil {
			l.problems = append(l.problems, Problem{Path: p, Err: pathCause(err)})
			continue
		}
		var (
			fsys    fs.FS
			root    string
			display func(string) string
		)
		if info.IsDir() {
			fsys, root = os.DirFS(p), "."
			display = func(name string) string { return filepath.Join(p, filepath.FromSlash(name)) }
		} else {
			fsys, root = os.DirFS(filepath.Dir(p)), filepath.Base(p)
			display = func(string) string { return p }
		}
		if err := l.tree(ctx, fsys, root, display); err != nil {
			return l.arts, l.problems, err
		}
	}
	return l.arts, l.problems, nil
}

// LoadFS is LoadPaths over an fs.FS (the embedded bundle, a test fixture):
// root is a file or a folder of fsys, and problems name paths inside fsys.
func LoadFS(ctx context.Context, fsys fs.FS, root string) ([]Article, []Problem, error) {
	l := newLoader()
	err := l.tree(ctx, fsys, root, func(name string) string { return name })
	return l.arts, l.problems, err
}

// loader gathers the articles and problems of one load, and the IDs given
// so far, so that no two of its articles share one.
type loader struct {
	arts     []Article
	problems []Problem
	seen     map[string]string // article ID → the file it came from
}

func newLoader() *loader { return &loader{seen: map[string]string{}} }

// tree loads root, a file or a folder of fsys; display turns fsys paths
// into the paths problems report.
func (l *loader) tree(ctx context.Context, fsys fs.FS, root string, display func(string) string) error {
	info, err := fs.Stat(fsys, root)
	if err != nil {
		l.problems = append(l.problems, Problem{Path: display(root), Err: pathCause(err)})
		return nil
	}
	if !info.IsDir() {
		if !supported(root) {
			l.problems = append(l.problems, Problem{Path: display(root), Err: unsupported(root)})
			return nil
		}
		return l.file(ctx, fsys, root, path.Base(root), display(root))
	}
	return fs.WalkDir(fsys, root, func(name string, d fs.DirEntry, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return fmt.Errorf("load %s: %w", display(name), cerr)
		}
		if err != nil {
			l.problems = append(l.problems, Problem{Path: display(name), Err: pathCause(err)})
			return nil // an unreadable folder is skipped, the walk goes on
		}
		if name != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if !supported(name) {
			l.problems = append(l.problems, Problem{Path: display(name), Err: unsupported(name)})
			return nil
		}
		if !d.Type().IsRegular() {
			// A symlink is followed to a file, never to a folder (no cycles).
			info, err := fs.Stat(fsys, name)
			if err != nil {
				l.problems = append(l.problems, Problem{Path: display(name), Err: pathCause(err)})
				return nil
			}
			if !info.Mode().IsRegular() {
				return nil
			}
		}
		rel := name
		if root != "." {
			rel = strings.TrimPrefix(name, root+"/")
		}
		return l.file(ctx, fsys, name, rel, display(name))
	})
}

// keep adds a loaded article, unless an earlier one has its ID.
func (l *loader) keep(a Article, from string) {
	if first, dup := l.seen[a.ID]; dup {
		l.problems = append(l.problems, Problem{Path: from,
			Err: fmt.Errorf("%w %q: %s has it too and is kept", ErrDuplicateID, a.ID, first)})
		return
	}
	l.seen[a.ID] = from
	l.arts = append(l.arts, a)
}

// pathID is the ID of a file without id or url, from its path rel (relative
// to the folder loaded): its folders and its stem, each as stemID makes
// them, joined by "/". When that ID is taken, a hash of the file's full path
// (from) tells the two apart.
func (l *loader) pathID(rel, from string) string {
	dir, base := path.Split(rel)
	var parts []string
	for _, d := range strings.Split(strings.Trim(dir, "/"), "/") {
		if d != "" && d != "." {
			parts = append(parts, stemID(d))
		}
	}
	parts = append(parts, stemID(strings.TrimSuffix(base, path.Ext(base))))
	id := strings.Join(parts, "/")
	if _, taken := l.seen[id]; taken {
		sum := sha256.Sum256([]byte(filepath.ToSlash(from)))
		id += "-" + hex.EncodeToString(sum[:4])
	}
	return id
}

// unsupported is the ErrUnsupported of file name, naming its type.
func unsupported(name string) error {
	ext := path.Ext(name)
	if ext == "" {
		return fmt.Errorf("no extension: %w", ErrUnsupported)
	}
	return fmt.Errorf("%q: %w", ext, ErrUnsupported)
}

func supported(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".md", ".markdown", ".txt", ".html", ".htm", ".jsonl":
		return true
	}
	return false
}

// file loads one file, rel its path relative to the folder loaded; only a
// cancelled ctx is returned as an error.
func (l *loader) file(ctx context.Context, fsys fs.FS, name, rel, display string) error {
	problem := func(err error) error {
		l.problems = append(l.problems, Problem{Path: display, Err: err})
		return nil
	}
	f, err := fsys.Open(name)
	if err != nil {
		return problem(pathCause(err))
	}
	defer f.Close()
	ext := strings.ToLower(path.Ext(name))
	if ext == ".jsonl" {
		arts, probs, err := ReadJSONL(ctx, f, display)
		for _, a := range arts {
			l.keep(a, display)
		}
		l.problems = append(l.problems, probs...)
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			// ReadJSONL's error already names the file; keep only its cause.
			if cause := errors.Unwrap(err); cause != nil {
				err = cause
			}
			return problem(err)
		}
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return problem(fmt.Errorf("read: %w", err))
	}
	if len(data) > MaxFileBytes {
		return problem(fmt.Errorf("%w: over the %d MiB cap", ErrTooLarge, MaxFileBytes>>20))
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return problem(ErrBinary)
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	stem := strings.TrimSuffix(path.Base(name), path.Ext(name))
	var a Article
	switch ext {
	case ".html", ".htm":
		if !utf8.Valid(data) {
			data, err = decodeLegacy(data)
			if err != nil {
				return problem(err)
			}
		}
		a = parseHTML(string(data), stem)
	case ".md", ".markdown":
		if !utf8.Valid(data) {
			return problem(ErrBinary)
		}
		a, err = parseMarkdown(string(data), stem)
	default: // .txt, or any file named explicitly
		if !utf8.Valid(data) {
			return problem(ErrBinary)
		}
		a = parseText(string(data), stem)
	}
	if err != nil {
		return problem(err)
	}
	if a.ID == "" && strings.TrimSpace(a.URL) == "" {
		a.ID = l.pathID(rel, display)
	}
	a, err = Normalize(a)
	if err != nil {
		return problem(err)
	}
	l.keep(a, display)
	return nil
}

// parseText reads a .txt article: the first line is the title when it looks
// like one (short, no final period, followed by text), else the title comes
// from the file name.
func parseText(s, stem string) Article {
	text := Clean(s)
	first, rest, _ := strings.Cut(text, "\n")
	if looksLikeTitle(first) && strings.TrimSpace(rest) != "" {
		return Article{Title: first, Text: rest}
	}
	return Article{Title: titleFromStem(stem), Text: text}
}

func looksLikeTitle(line string) bool {
	n := utf8.RuneCountInString(line)
	if n == 0 || n > 160 {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(line)
	return !strings.ContainsRune(".,;:", r)
}

// titleFromStem makes "mon_article-2024" read "mon article 2024".
func titleFromStem(stem string) string {
	return strings.Join(strings.FieldsFunc(stem, func(r rune) bool { return r == '_' || r == '-' || r == ' ' || r == '.' }), " ")
}

// pathCause strips the path an *fs.PathError repeats, since a Problem
// already names it; errors.Is(err, fs.ErrNotExist) still holds.
func pathCause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}
