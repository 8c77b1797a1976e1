// Package digest builds Veille's daily digest — what was published since the
// last one, near-duplicates grouped into one entry, each with an extractive
// or generated summary — and decides when to post it: a pure schedule
// (Next, Prev, Due) over a channel's local time of day, a crash-safe
// per-channel state file (Store) and a Scheduler loop driven by an injected
// Clock.
//
// The package knows nothing of Discord: package bot turns a Digest into
// messages and supplies the Poster. Inputs are plain Items so that the
// package does not depend on the retrieval pipeline.
//
// # Schedule
//
// Each local day has exactly one scheduled instant: HH:MM in the channel's
// zone, the end of the gap when a spring-forward skips HH:MM, the first
// occurrence when a fall-back repeats it. A digest is due when the latest
// scheduled instant is after the last recorded run, so downtime of any
// length yields one catch-up, and a run recorded at or after today's
// instant makes the day done (a restart does not post again).
//
// # Delivery guarantee
//
// Before posting, the Scheduler durably records the run as pending
// (Store.Begin: temporary file, fsync, rename, directory fsync); after the
// Poster returns it records the run as done (Store.Record). A pending run
// found at start-up means the process died between the two: by default it
// counts as posted, so the Scheduler never posts twice for one scheduled
// day, at the cost of losing that day's digest if the process died before
// Discord accepted the message (at most once). With
// SchedulerConfig.Posted, which looks at the channel for the message, the
// run is posted again only when it is not there (exactly once, as far as
// that check sees). A Poster error aborts the run and it is retried with
// backoff; a Poster that reports an error for a message Discord did
// deliver can lead to a second post.
//
// Zone data is embedded (time/tzdata) so that a host without system zone
// files still schedules at the right local time.
package digest

import _ "time/tzdata" // zones work on hosts without /usr/share/zoneinfo
