package main

import (
	"context"
	"log/slog"
	"time"
)

// stopWait bounds how long each bot component is given to stop.
const stopWait = 10 * time.Second

// component is one long-running part of the bot: run blocks until its ctx
// is done (returning nil) or it fails.
type component struct {
	name string
	run  func(ctx context.Context) error
}

// runInOrder runs every component, each under a context of its own. Once
// ctx is done or a component fails, it stops them one after the other in
// the order given, waiting up to wait for each: one that does not stop in
// time is logged and left behind (the process is exiting), and the next is
// stopped anyway. It returns the first error a component returned.
func runInOrder(ctx context.Context, wait time.Duration, log *slog.Logger, comps ...component) error {
	type exit struct {
		i   int
		err error
	}
	exits := make(chan exit, len(comps))
	cancels := make([]context.CancelFunc, len(comps))
	for i, c := range comps {
		cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		cancels[i] = cancel
		go func() { exits <- exit{i, c.run(cctx)} }()
	}
	defer func() {
		for _, cancel := range cancels {
			cancel()
		}
	}()
	done := make([]bool, len(comps))
	var first error
	note := func(e exit) {
		done[e.i] = true
		if first == nil && e.err != nil {
			first = e.err
		}
	}
	// A component that returns nil early leaves the others running, as an
	// errgroup would; a failure stops them all.
	running := len(comps)
wait:
	for running > 0 {
		select {
		case <-ctx.Done():
			break wait
		case e := <-exits:
			note(e)
			running--
			if e.err != nil {
				break wait
			}
		}
	}
	for i, c := range comps {
		cancels[i]()
		timeout := time.NewTimer(wait)
		for !done[i] {
			select {
			case e := <-exits:
				note(e)
				continue
			case <-timeout.C:
				log.Warn("component did not stop in time", "component", c.name, "wait", wait)
			}
			break
		}
		timeout.Stop()
	}
	return first
}
