# The targets CI runs. `make check` is the one command that must pass.
GO ?= go

.PHONY: check fmt vet staticcheck test bench build eval

check: fmt vet staticcheck test

fmt:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck:
	$(GO) tool staticcheck ./...

test:
	$(GO) test -race -count=1 ./...

build:
	$(GO) build -o bin/veille ./cmd/veille

# Benchmarks: see BENCHMARKS.md for the figures and what each measures.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Retrieval quality on the shared eval set (needs ../shared/eval).
eval:
	$(GO) run ./cmd/veille eval --corpus ../shared/eval/corpus.jsonl --questions ../shared/eval/questions.jsonl
