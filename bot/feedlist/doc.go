// Package feedlist owns the feeds Discord members add with /feeds: the
// user_feeds.json list (one entry per server following a feed), the
// bot.FeedControl over it (Add, Remove, Health, per server), the feed
// refresh round that fetches the operator's and the members' feeds into
// the index, and the bot's refresh loop on an injected clock.
//
// It sits above bot (it implements bot.FeedControl) and beside cmd/veille,
// which only configures and wires it.
package feedlist
