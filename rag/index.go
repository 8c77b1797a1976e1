package rag

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	chromem "github.com/philippgille/chromem-go"
	"golang.org/x/sync/errgroup"

	"github.com/veille/veille/rag/analyze"
	"github.com/veille/veille/rag/article"
	"github.com/veille/veille/rag/chunk"
	"github.com/veille/veille/rag/embed"
	"github.com/veille/veille/rag/lexical"
	"github.com/veille/veille/rag/vecindex"
)

// MaxChunksPerArticle caps the chunks one article may make: Add skips an
// article over it (ErrTooManyChunks) rather than embed it. With the default
// chunking, article.MaxTextBytes of text makes about 7,000 chunks; the cap
// matters with small chunk sizes.
const MaxChunksPerArticle = 8192

// ErrTooManyChunks reports an article that would make more than
// MaxChunksPerArticle chunks.
var ErrTooManyChunks = errors.New("too many chunks")

// collectionName is the one chromem-go collection an index keeps its chunks in.
const collectionName = "chunks"

// Metadata keys stored with every chunk in chromem-go: its article and
// what chromem-go's own scan filters on. The chunk's place in the text is
// the article's (storedArticle.spans). The rest of an article's provenance
// (title, URL, source, language, dates) is the manifest's, read through
// the article ID: repeated in every chunk's map it cost a map of more than
// eight entries per chunk, a third of the chunks' load time and ~0.5 KB of
// heap per chunk.
const (
	metaArticleID = "article_id"
	metaSourceKey = "source_key" // lower-cased source, for equality filters
)

// Embedder turns text into vectors. Documents and queries may be embedded
// differently (prefixes, weights); both must come back L2-normalised.
type Embedder interface {
	EmbedDocument(ctx context.Context, text string) ([]float32, error)
	EmbedQuery(ctx context.Context, text string) ([]float32, error)
	Identity() embed.Identity
}

// Options configures an Index.
type Options struct {
	Embedder    Embedder      // required
	Chunking    chunk.Options // zero value means chunk.DefaultOptions()
	Now         func() time.Time
	Concurrency int // embedding workers; 0 means GOMAXPROCS
	// SlabBeside, a snapshot's path, makes Add keep the vectors it embeds
	// in an unlinked temp file beside it, mapped, rather than on the heap
	// (see vectorSlab): for a command that embeds a whole corpus before it
	// saves. "" keeps them on the heap.
	SlabBeside string

	fusion fusion // zero means defaultFusion; tuning tests set others
	// noMap makes Load read the raw vectors onto the heap instead of
	// mapping them: the path of systems without mmap, which tests take on
	// every system through this field.
	noMap bool
}

// Index holds articles as embedded chunks (chromem-go) plus a BM25 index over
// the same chunks, and knows which article every chunk came from.
// It is safe for concurrent use.
type Index struct {
	opts Options

	mu  sync.RWMutex
	db  *chromem.DB
	col *chromem.Collection
	lex *lexical.Index
	doc *lexical.Index  // BM25 over whole articles (title + text)
	vec *vecindex.Index // nil until the first vector tells the dimension
	man *manifest

	// mapped is the read-only mapping of the snapshot's vectors that the
	// loaded chunks' embeddings are slices of (nil when read onto the heap).
	// It is unmapped once col, which holds those slices, is collected.
	mapped []byte
	// vectorsCheck checks mapped's blocks against their sums the first time
	// anything reads the vectors (nil when nothing is left to check).
	vectorsCheck *lazyCheck
	// quantised is the read-only mapping of the snapshot's quantised index
	// that vec's int8 columns are slices of (nil when read onto the heap).
	// It is unmapped once that vec is collected.
	quantised []byte
	// slab holds the vectors Add embeds when Options.SlabBeside is set (nil
	// otherwise); it is unmapped once col, which holds them, is collected.
	slab *vectorSlab
}

// New returns an empty in-memory index.
func New(opts Options) (*Index, error) {
	if opts.Embedder == nil {
		return nil, errors.New("new index: no embedder")
	}
	if opts.Chunking == (chunk.Options{}) {
		opts.Chunking = chunk.DefaultOptions()
	}
	if err := opts.Chunking.Validate(); err != nil {
		return nil, fmt.Errorf("new index: %w", err)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = runtime.GOMAXPROCS(0)
	}
	if opts.fusion.method == "" {
		opts.fusion = defaultFusion
	}
	ix := &Index{
		opts: opts,
		db:   chromem.NewDB(),
		lex:  lexical.New(lexical.DefaultParams()),
		doc:  lexical.New(lexical.DefaultParams()),
		man:  newManifest(opts.Embedder.Identity()),
	}
	// Never a nil embedding function: chromem-go would silently use OpenAI.
	col, err := ix.db.CreateCollection(collectionName, nil, ix.embedFunc())
	if err != nil {
		return nil, fmt.Errorf("new index: %w", err)
	}
	ix.col = col
	if !opts.noMap {
		if ix.slab = newVectorSlab(opts.SlabBeside); ix.slab != nil {
			runtime.AddCleanup(col, func(s *vectorSlab) { s.close() }, ix.slab)
		}
	}
	return ix, nil
}

// embedFunc adapts the embedder to chromem-go, for the rare path where
// chromem-go embeds by itself (we always pass vectors we computed), and
// hands on a vector read back from a snapshot (see storedVector).
func (ix *Index) embedFunc() chromem.EmbeddingFunc {
	return func(ctx context.Context, text string) ([]float32, error) {
		if s, ok := ctx.Value(storedVectorKey{}).(*storedVector); ok && s.v != nil {
			v := s.v
			s.v = nil
			return v, nil
		}
		return ix.opts.Embedder.EmbedDocument(ctx, text)
	}
}

// storedVector is how Load gives chromem-go a chunk's vector without
// chromem-go reading it. Given a document with a vector, AddDocument reads
// every float of it to check its length (1 GB at 127k chunks of 2048
// dimensions, which a mapping must first fault in: most of a cold start);
// given one without, it asks the collection's embedding function, trusting
// it to return a unit vector as chromem-go's own embedding functions do. So
// Load passes the document without its vector and the context carries the
// row, unit length since the snapshot was written (see writeVectorRows) and
// checked against its checksums by then: the embedding function returns it
// as it is, once. One per goroutine adding documents.
type storedVector struct{ v []float32 }

type storedVectorKey struct{}

// Len reports the number of articles indexed.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.man.Articles)
}

// Chunks reports the number of chunks indexed.
func (ix *Index) Chunks() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.col.Count()
}

// AddResult says what an Add did.
type AddResult struct {
	Added     int // new articles
	Updated   int // articles whose content changed; old chunks replaced
	Unchanged int // same article, same content: nothing done
	Duplicate int // same content or URL as another article already kept
	// Shared counts unchanged or duplicate articles now also seen by the
	// Discord servers (or, for an operator's ingest, every server) that
	// added them again.
	Shared  int
	Chunks  int // chunks embedded
	Skipped []error
}

// Progress is called after each article is embedded during Add.
type Progress func(done, total int)

// Add indexes articles: new ones are chunked and embedded, changed ones replace
// their old chunks, identical ones change nothing. Articles are normalised
// first; one that cannot be (its text over article.MaxTextBytes included),
// or that makes more than MaxChunksPerArticle chunks, is skipped and
// reported in AddResult.Skipped.
// On error (embedding failed, ctx cancelled) the index is left as it was.
func (ix *Index) Add(ctx context.Context, arts []article.Article, progress Progress) (AddResult, error) {
	ix.mu.RLock()
	p := ix.planLocked(arts)
	ix.mu.RUnlock()

	// Embed outside the lock: this is the slow part, and readers keep going.
	if err := ix.embedJobs(ctx, p.jobs, progress); err != nil {
		return AddResult{}, err
	}

	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.commitLocked(ctx, p)
}

// addJob is an article Add embeds and stores.
type addJob struct {
	art    article.Article
	hash   string
	prev   *storedArticle
	chunks []chunk.Chunk
	vecs   [][]float32
}

// widen gives an article added again, unchanged or as a duplicate, its new
// owners: a second server following the same feed sees it too.
type widen struct {
	id     string
	guilds []string
}

// addPlan is what Add found to do: the articles to embed, the owners to
// add, and the counts so far.
type addPlan struct {
	jobs   []*addJob
	widens []widen
	res    AddResult
}

// planLocked normalises arts and sorts them into new or changed articles to
// embed, unchanged ones and duplicates (of the index or of each other), and
// skipped ones.
func (ix *Index) planLocked(arts []article.Article) addPlan {
	var p addPlan
	res := &p.res
	byID := map[string]*addJob{}
	seenHash := map[string]string{}
	seenURL := map[string]string{}
	for _, a := range arts {
		n, err := article.Normalize(a)
		if err != nil {
			res.Skipped = append(res.Skipped, fmt.Errorf("article %q: %w", firstNonEmpty(a.ID, a.URL, a.Title), err))
			continue
		}
		h := article.ContentHash(n)
		prev := ix.man.Articles[n.ID]
		if prev == nil && n.URL != "" {
			if id, ok := ix.man.byURL(n.URL); ok {
				// Same canonical URL under another ID: the same article.
				n.ID = id
				prev = ix.man.Articles[id]
			}
		}
		if prev != nil && prev.Hash == h {
			res.Unchanged++
			p.widens = append(p.widens, widen{prev.ID, n.Guilds})
			continue
		}
		if id, ok := ix.man.byHash(h); ok && id != n.ID {
			res.Duplicate++
			p.widens = append(p.widens, widen{id, n.Guilds})
			continue
		}
		if id, ok := seenHash[h]; ok && id != n.ID {
			res.Duplicate++
			byID[id].art.Guilds = mergeGuilds(byID[id].art.Guilds, n.Guilds)
			continue
		}
		if id, ok := seenURL[n.URL]; ok && n.URL != "" && id != n.ID {
			res.Duplicate++
			byID[id].art.Guilds = mergeGuilds(byID[id].art.Guilds, n.Guilds)
			continue
		}
		chunks := chunk.Split(n.Text, ix.opts.Chunking)
		if len(chunks) > MaxChunksPerArticle {
			res.Skipped = append(res.Skipped, fmt.Errorf("article %q: %w: %d, over the cap of %d",
				n.ID, ErrTooManyChunks, len(chunks), MaxChunksPerArticle))
			continue
		}
		if n.URL != "" {
			seenURL[n.URL] = n.ID
		}
		seenHash[h] = n.ID
		if j := byID[n.ID]; j != nil {
			// The same ID twice in one call: the last text wins, as it
			// always has, and both owners keep it.
			n.Guilds = mergeGuilds(j.art.Guilds, n.Guilds)
		}
		j := &addJob{art: n, hash: h, prev: prev, chunks: chunks}
		p.jobs = append(p.jobs, j)
		byID[n.ID] = j
	}
	return p
}

// embedJobs embeds the chunks of every job, ix.opts.Concurrency at a time.
func (ix *Index) embedJobs(ctx context.Context, jobs []*addJob, progress Progress) error {
	var done int
	var doneMu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(ix.opts.Concurrency)
	for _, j := range jobs {
		g.Go(func() error {
			vecs, err := ix.embedChunks(gctx, j.art.Title, j.chunks)
			if err != nil {
				return fmt.Errorf("embed %d chunks of %s: %w", len(j.chunks), j.art.ID, err)
			}
			j.vecs = vecs
			if progress != nil {
				doneMu.Lock()
				done++
				progress(done, len(jobs))
				doneMu.Unlock()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("add %d articles: %w", len(jobs), err)
	}

	return nil
}

// commitLocked stores what p planned and embedded: new owners, then each
// job's chunks (in chromem-go, BM25 and the quantised index) and article.
func (ix *Index) commitLocked(ctx context.Context, p addPlan) (AddResult, error) {
	res := p.res
	now := ix.opts.Now().UTC()
	for _, w := range p.widens {
		// Read again: the article may have changed while we embedded.
		if a := ix.man.Articles[w.id]; a != nil {
			if g := mergeGuilds(a.Guilds, w.guilds); !slices.Equal(g, a.Guilds) {
				a.Guilds = g
				res.Shared++
			}
		}
	}
	for _, j := range p.jobs {
		firstSeen := now
		guilds := mergeGuilds(j.art.Guilds, j.art.Guilds)
		if prev := ix.man.Articles[j.art.ID]; prev != nil {
			ix.removeChunksLocked(prev)
			firstSeen = prev.FirstSeen
			guilds = mergeGuilds(prev.Guilds, guilds)
			res.Updated++
		} else {
			res.Added++
		}
		a := j.art
		stored := &storedArticle{
			ID: a.ID, Title: a.Title, URL: a.URL, Source: a.Source, Lang: a.Lang,
			Published: a.Published, FirstSeen: firstSeen, Hash: j.hash,
			Chunks: len(j.chunks), Text: a.Text, Guilds: guilds,
		}
		meta := chunkMeta(stored)
		stored.spans = make([]chunkSpan, len(j.chunks))
		for i, c := range j.chunks {
			stored.spans[i] = chunkSpan{uint32(c.Start), uint32(c.End)}
			id := chunkID(a.ID, i)
			// One map for all of the article's chunks (see chunkMeta).
			doc := chromem.Document{ID: id, Metadata: meta, Embedding: j.vecs[i], Content: c.Text}
			if err := ix.col.AddDocument(ctx, doc); err != nil {
				// Only fails on an empty ID or empty vector: a bug, not input.
				return res, fmt.Errorf("store chunk %s: %w", id, err)
			}
			ix.lex.Add(id, analyze.Terms(a.Title+"\n"+c.Text, a.Lang))
			if err := ix.addVectorLocked(id, j.vecs[i]); err != nil {
				return res, fmt.Errorf("store chunk %s: %w", id, err)
			}
		}
		ix.man.put(stored)
		ix.doc.Add(a.ID, analyze.Terms(a.Title+"\n"+a.Text, a.Lang))
		res.Chunks += len(j.chunks)
	}
	if len(p.jobs) > 0 {
		ix.man.Updated = now
		// Providers learn their dimension from their first answer.
		ix.man.Embedder = ix.opts.Embedder.Identity()
	}
	return res, nil
}

// batchEmbedder is an Embedder that embeds many texts per request.
type batchEmbedder interface {
	EmbedDocuments(ctx context.Context, texts []string) ([][]float32, error)
}

// embedChunks embeds one article's chunks, in one batch when the embedder
// can, and moves the vectors into the slab when there is one.
func (ix *Index) embedChunks(ctx context.Context, title string, chunks []chunk.Chunk) ([][]float32, error) {
	vecs, err := ix.embedTexts(ctx, title, chunks)
	if err != nil {
		return nil, err
	}
	ix.mu.RLock()
	slab := ix.slab
	ix.mu.RUnlock()
	return slab.keep(vecs), nil
}

func (ix *Index) embedTexts(ctx context.Context, title string, chunks []chunk.Chunk) ([][]float32, error) {
	texts := make([]string, len(chunks))
	for i, c := range chunks {
		texts[i] = embedText(title, c.Text)
	}
	if b, ok := ix.opts.Embedder.(batchEmbedder); ok && len(texts) > 1 {
		return b.EmbedDocuments(ctx, texts)
	}
	vecs := make([][]float32, len(texts))
	for i, t := range texts {
		v, err := ix.opts.Embedder.EmbedDocument(ctx, t)
		if err != nil {
			return nil, err
		}
		vecs[i] = v
	}
	return vecs, nil
}

func (ix *Index) removeChunksLocked(a *storedArticle) {
	ids := make([]string, a.Chunks)
	for i := range a.Chunks {
		ids[i] = chunkID(a.ID, i)
		ix.lex.Remove(ids[i])
		if ix.vec != nil {
			ix.vec.Remove(ids[i])
		}
	}
	if len(ids) > 0 {
		// Delete with IDs only cannot fail.
		_ = ix.col.Delete(context.Background(), nil, nil, ids...)
	}
}

// embedText is what the embedder sees for a chunk: the title gives context
// to passages that never name their subject.
func embedText(title, text string) string {
	if title == "" {
		return text
	}
	return title + "\n\n" + text
}

func chunkID(articleID string, i int) string {
	return articleID + "#" + strconv.Itoa(i)
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return "(unnamed)"
}

// MainLang is the language most of the indexed articles are written in
// ("" when none).
func (ix *Index) MainLang() string {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.man.mainLang()
}

// addVectorLocked adds a chunk's vector to the quantised search index,
// creating it at the first vector's dimension. Add calls it once
// chromem-go has read the vector too, so the slab's pages are counted here.
func (ix *Index) addVectorLocked(id string, v []float32) error {
	ix.slab.read(1)
	if ix.vec == nil {
		ix.vec = vecindex.New(len(v))
	}
	return ix.vec.Add(id, v)
}
