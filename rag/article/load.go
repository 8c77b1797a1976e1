package article

import (
	"bytes"
	"context"
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

// LoadPaths loads the articles of files and folders on disk. Folders are
// walked recursively in lexical order, taking .md/.markdown, .txt,
// .html/.htm and .jsonl files and skipping other extensions and hidden
// files and folders silently. A file named explicitly is loaded whatever its
// extension (as plain text when unknown). Every file that cannot be loaded,
// including a path that does not exist, becomes a Problem and loading goes on.
// The error is only for a cancelled ctx; what was loaded before is returned
// with it. Articles are normalised (see Normalize) but not deduplicated (see
// Dedupe).
func LoadPaths(ctx context.Context, paths []string) ([]Article, []Problem, error) {
	var (
		arts     []Article
		problems []Problem
	)
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return arts, problems, fmt.Errorf("load %s: %w", p, err)
		}
		info, err := os.Stat(p)
		if err != nil {
			problems = append(problems, Problem{Path: p, Err: pathCause(err)})
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
		a, probs, err := loadTree(ctx, fsys, root, display)
		arts, problems = append(arts, a...), append(problems, probs...)
		if err != nil {
			return arts, problems, err
		}
	}
	return arts, problems, nil
}

// LoadFS is LoadPaths over an fs.FS (the embedded bundle, a test fixture):
// root is a file or a folder of fsys, and problems name paths inside fsys.
func LoadFS(ctx context.Context, fsys fs.FS, root string) ([]Article, []Problem, error) {
	return loadTree(ctx, fsys, root, func(name string) string { return name })
}

// loadTree loads root, a file or a folder of fsys; display turns fsys paths
// into the paths problems report.
func loadTree(ctx context.Context, fsys fs.FS, root string, display func(string) string) ([]Article, []Problem, error) {
	var (
		arts     []Article
		problems []Problem
	)
	info, err := fs.Stat(fsys, root)
	if err != nil {
		return nil, []Problem{{Path: display(root), Err: pathCause(err)}}, nil
	}
	if !info.IsDir() {
		return loadFile(ctx, fsys, root, display(root))
	}
	err = fs.WalkDir(fsys, root, func(name string, d fs.DirEntry, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return fmt.Errorf("load %s: %w", display(name), cerr)
		}
		if err != nil {
			problems = append(problems, Problem{Path: display(name), Err: pathCause(err)})
			return nil // an unreadable folder is skipped, the walk goes on
		}
		if name != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() || !supported(name) {
			return nil
		}
		if !d.Type().IsRegular() {
			// A symlink is followed to a file, never to a folder (no cycles).
			info, err := fs.Stat(fsys, name)
			if err != nil {
				problems = append(problems, Problem{Path: display(name), Err: pathCause(err)})
				return nil
			}
			if !info.Mode().IsRegular() {
				return nil
			}
		}
		a, probs, err := loadFile(ctx, fsys, name, display(name))
		arts, problems = append(arts, a...), append(problems, probs...)
		return err
	})
	return arts, problems, err
}

func supported(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".md", ".markdown", ".txt", ".html", ".htm", ".jsonl":
		return true
	}
	return false
}

// loadFile loads one file; only a cancelled ctx is returned as an error.
func loadFile(ctx context.Context, fsys fs.FS, name, display string) ([]Article, []Problem, error) {
	problem := func(err error) ([]Article, []Problem, error) {
		return nil, []Problem{{Path: display, Err: err}}, nil
	}
	f, err := fsys.Open(name)
	if err != nil {
		return problem(pathCause(err))
	}
	defer f.Close()
	ext := strings.ToLower(path.Ext(name))
	if ext == ".jsonl" {
		arts, probs, err := ReadJSONL(ctx, f, display)
		if err != nil {
			if ctx.Err() != nil {
				return arts, probs, err
			}
			// ReadJSONL's error already names the file; keep only its cause.
			if cause := errors.Unwrap(err); cause != nil {
				err = cause
			}
			return arts, append(probs, Problem{Path: display, Err: err}), nil
		}
		return arts, probs, nil
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
		a.ID = stemID(stem)
	}
	a, err = Normalize(a)
	if err != nil {
		return problem(err)
	}
	return []Article{a}, nil, nil
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
