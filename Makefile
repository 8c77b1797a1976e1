# The targets CI runs. `make check` is the one command that must pass.
GO ?= go

.PHONY: check fmt vet staticcheck test eval-floor bench build eval

check: fmt vet staticcheck test eval-floor

fmt:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck:
	$(GO) tool staticcheck ./...

test:
	$(GO) test -race -count=1 ./...

# Retrieval and answer quality may not fall more than 0.02 below the figures
# in rag/answer/testdata/eval_floor.json; skipped when ../shared/eval is absent.
eval-floor:
	VEILLE_EVAL=1 $(GO) test -count=1 -run '^TestEvalFloor$$' ./rag/answer

build:
	$(GO) build -o bin/veille ./cmd/veille

# Benchmarks: see BENCHMARKS.md for the figures and what each measures.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Retrieval and answer quality on the shared sets (needs ../shared).
eval:
	$(GO) run ./cmd/veille eval --corpus ../shared/eval/corpus.jsonl --questions ../shared/eval/questions.jsonl
	$(GO) run ./cmd/veille eval --answers --corpus ../shared/eval/corpus.jsonl --questions ../shared/eval/questions.jsonl
	$(GO) run ./cmd/veille eval --answers --corpus ../shared/eval-news/corpus.jsonl --questions ../shared/eval-news/questions.jsonl
