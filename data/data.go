// Package data holds Veille's bundled sample articles. It is content only:
// Markdown files with front matter under articles/, embedded in the binary so
// that a fresh install can answer questions before anything is ingested. Load
// them with article.LoadFS(ctx, data.FS(), "articles").
package data

import (
	"embed"
	"io/fs"
)

//go:embed articles
var files embed.FS

// FS returns the bundled files, read-only; the articles are under "articles".
func FS() fs.FS { return files }
