// Package article defines the Article type that flows through Veille and loads
// articles from files, folders and JSONL corpora, cleaning scraping chrome on the way.
package article

import "time"

// Article is one cleaned news article, ready to be chunked and indexed.
type Article struct {
	// ID is stable across re-ingests: the corpus id when given, else derived from
	// the canonical URL, else from the file's path under the folder loaded.
	ID string
	// Title is the headline, without site suffixes.
	Title string
	// URL is the canonical URL (tracking parameters removed); may be empty.
	URL string
	// Source names the publication (e.g. "Data News").
	Source string
	// Published is the publication time; zero when unknown.
	Published time.Time
	// Lang is an ISO 639-1 code ("fr", "en"), detected when not given.
	Lang string
	// Text is the cleaned body: paragraphs separated by a blank line.
	Text string
	// Guilds are the Discord servers whose members added the article (with
	// /feeds add); only they see it. Empty for the operator's articles
	// (bundled, FEEDS, command-line ingests), which every server sees.
	Guilds []string
}
